"""Loaders for the text classification benchmarks and for the user's own data.

Every loader returns texts as a list of `str` and labels as an `int32` NumPy
array with values `0..C-1`; nothing depends on a backend. Files are found by
`keras_memattn.datasets.find_file` (the `data_dir=` argument, then the
`KERAS_MEMATTN_DATA` environment variable, then the Keras cache, then a
download from the dataset's canonical address).
"""

import codecs
import csv
import io
import os
import re
import tarfile

import numpy as np

from keras_memattn import _validation
from keras_memattn.datasets._files import find_file

SST2_CLASSES = ("negative", "positive")
MR_CLASSES = ("negative", "positive")
SUBJ_CLASSES = ("objective", "subjective")
IMDB_CLASSES = ("negative", "positive")
TREC_COARSE_CLASSES = ("ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM")
AG_NEWS_CLASSES = ("World", "Sports", "Business", "Sci/Tech")

_URLS = {
    "mr": "https://www.cs.cornell.edu/people/pabo/movie-review-data/"
    "rt-polaritydata.tar.gz",
    "trec": "https://cogcomp.seas.upenn.edu/Data/QA/QC/",
    "imdb": "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz",
    "ag_news": "https://raw.githubusercontent.com/mhjabreel/CharCnn_Keras/"
    "master/data/ag_news_csv/",
    # Copies with the labelled SST-2 test set and SentEval's SUBJ, pinned to
    # a commit and checked by SHA-256 (the original releases do not ship
    # these forms).
    "sst2": "https://raw.githubusercontent.com/awake020/pytorch_Bert_sst2/"
    "ce2ab1719d32182e6233b24b2de246bd32814fde/SST-2/",
    "subj": "https://raw.githubusercontent.com/FreedomIntelligence/qnn/"
    "77f549372d4371e7f2d52e77bc18df5096dd4779/data/SUBJ/",
}
_SHA256 = {
    "sst2/train.tsv": "e981ceb4fe6c9acd1c79851d0d091b9e"
    "78103f1f2a399ca83dda27915d41c56c",
    "sst2/dev.tsv": "84207e6be5873fb18db798cc6faec868"
    "71f5a426554650ff64a1c34e87665f6f",
    "sst2/test.tsv": "fcd46f967b7b8efd8b5398481dadf873"
    "886298d092195167af907fd532e81e1c",
    "subj/subj.objective": "d8ccd43f1674f1c17e4ab717564e3561"
    "cfb719b0db4cfb19e5677427c68ff8a1",
    "subj/subj.subjective": "274c2ffe59c204dc4df779848561786f"
    "59a98cc20dda3cfdd7d9f76a4f730710",
}

# The SST-2 dev and test files write brackets PTB-style; train uses literals.
_PTB_ESCAPES = (
    ("-lrb-", "("),
    ("-rrb-", ")"),
    ("\\/", "/"),
    ("\\*", "*"),
)


def _labels(values):
    return np.asarray(values, dtype="int32")


def _download_file(url, relative_path):
    """A `find_file` download callable fetching one file with `get_file`.

    Files listed in `_SHA256` are checked against their hash.
    """

    def download(cache_root):
        import keras

        folder, name = os.path.split(relative_path)
        keras.utils.get_file(
            fname=name,
            origin=url,
            file_hash=_SHA256.get(relative_path),
            cache_dir=cache_root,
            cache_subdir=folder,
        )

    return download


def _download_mr(cache_root):
    """Fetches the MR archive and writes the two files under `mr/`."""
    import keras

    archive = keras.utils.get_file(
        fname="rt-polaritydata.tar.gz",
        origin=_URLS["mr"],
        cache_dir=cache_root,
        cache_subdir="mr",
    )
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar.getmembers():
            name = os.path.basename(member.name)
            if name in ("rt-polarity.pos", "rt-polarity.neg"):
                data = tar.extractfile(member).read()
                with open(os.path.join(cache_root, "mr", name), "wb") as f:
                    f.write(data)


def _download_imdb(cache_root):
    """Fetches the aclImdb release and repacks it as the two split archives."""
    import keras

    archive = keras.utils.get_file(
        fname="aclImdb_v1.tar.gz",
        origin=_URLS["imdb"],
        cache_dir=cache_root,
        cache_subdir="imdb",
    )
    outputs = {
        split: tarfile.open(
            os.path.join(cache_root, "imdb", f"aclImdb_{split}.tar.gz"),
            "w:gz",
        )
        for split in ("train", "test")
    }
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                parts = member.name.split("/")
                if (
                    member.isfile()
                    and len(parts) == 4
                    and parts[1] in outputs
                    and parts[2] in ("pos", "neg")
                ):
                    outputs[parts[1]].addfile(member, tar.extractfile(member))
    finally:
        for out in outputs.values():
            out.close()


def _read_lines(path, encoding):
    with open(path, encoding=encoding, newline=None) as f:
        return [line.rstrip("\r\n") for line in f]


def _read_sst2_split(path):
    texts, labels = [], []
    with open(path, encoding="utf-8", newline="") as f:
        rows = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(rows)  # Header: label, sentence|content.
        for row in rows:
            if not row:
                continue
            text = row[1].strip()
            for escaped, plain in _PTB_ESCAPES:
                text = text.replace(escaped, plain)
            texts.append(text)
            labels.append(int(row[0]))
    return texts, _labels(labels)


def load_sst2(data_dir=None):
    """Loads the binary Stanford Sentiment Treebank (SST-2).

    The train split holds the 67,349 GLUE training phrases; dev is the
    standard 872 sentences and test the labelled 1,821-sentence binary test
    set. The PTB escapes of dev and test (`-lrb-`, `-rrb-`, `\\/`, `\\*`) are
    mapped back to the literal characters that the train split uses.

    Args:
        data_dir: optional folder holding `sst2/{train,dev,test}.tsv`.

    Returns:
        A dict with keys `"train"`, `"dev"` and `"test"`, each a tuple
        `(texts, labels)`: a list of str and an int32 array
        (0 = negative, 1 = positive).

    Example:

    ```python
    data = keras_memattn.datasets.load_sst2()
    texts, labels = data["train"]
    ```
    """
    return {
        split: _read_sst2_split(
            find_file(
                f"sst2/{split}.tsv",
                data_dir,
                download=_download_file(
                    f"{_URLS['sst2']}{split}.tsv", f"sst2/{split}.tsv"
                ),
            )
        )
        for split in ("train", "dev", "test")
    }


def _read_trec(path, fine):
    texts, label_names = [], []
    # The train file has one byte that is not valid UTF-8.
    for line in _read_lines(path, "latin-1"):
        if not line.strip():
            continue
        label, text = line.split(" ", 1)
        coarse = label.split(":", 1)[0]
        label_names.append(label if fine else coarse)
        texts.append(text.strip())
    return texts, label_names


def load_trec(data_dir=None, fine=False):
    """Loads the TREC question classification set (Li and Roth, 2002).

    Args:
        data_dir: optional folder holding `trec/train_5500.label` and
            `trec/TREC_10.label`.
        fine: if `False` (default), the 6 coarse classes (`ABBR`, `DESC`,
            `ENTY`, `HUM`, `LOC`, `NUM`, in that order); if `True`, the 50
            fine classes of the training split (`"COARSE:fine"`, sorted).

    Returns:
        A dict with keys `"train"` (5,452 questions) and `"test"` (500),
        each a tuple `(texts, labels)`, and `"class_names"`, the list that
        the integer labels index.

    Example:

    ```python
    data = keras_memattn.datasets.load_trec()
    print(data["class_names"][data["train"][1][0]])
    ```
    """
    fine = _validation.boolean("fine", fine, "load_trec")
    splits = {}
    for split, name in (
        ("train", "train_5500.label"),
        ("test", "TREC_10.label"),
    ):
        path = find_file(
            f"trec/{name}",
            data_dir,
            download=_download_file(_URLS["trec"] + name, f"trec/{name}"),
        )
        splits[split] = _read_trec(path, fine)
    if fine:
        class_names = sorted(set(splits["train"][1]))
    else:
        class_names = list(TREC_COARSE_CLASSES)
    index = {name: i for i, name in enumerate(class_names)}
    result = {
        split: (texts, _labels([index[n] for n in names]))
        for split, (texts, names) in splits.items()
    }
    result["class_names"] = class_names
    return result


def load_mr(data_dir=None):
    """Loads the Movie Review sentence polarity set v1.0 (Pang and Lee, 2005).

    MR has no fixed split; the literature reports 10-fold cross-validation
    (see `keras_memattn.datasets.cross_validation_splits`). The files are
    Windows-1252 and are decoded as such.

    Args:
        data_dir: optional folder holding `mr/rt-polarity.{pos,neg}`.

    Returns:
        A tuple `(texts, labels)` of 10,662 snippets: the 5,331 negative ones
        first (label 0), then the 5,331 positive ones (label 1).

    Example:

    ```python
    texts, labels = keras_memattn.datasets.load_mr()
    folds = keras_memattn.datasets.cross_validation_splits(labels)
    ```
    """
    texts, labels = [], []
    for label, name in enumerate(("rt-polarity.neg", "rt-polarity.pos")):
        path = find_file(f"mr/{name}", data_dir, download=_download_mr)
        lines = [ln.strip() for ln in _read_lines(path, "cp1252")]
        lines = [ln for ln in lines if ln]
        texts.extend(lines)
        labels.extend([label] * len(lines))
    return texts, _labels(labels)


def load_subj(data_dir=None):
    """Loads the subjectivity set v1.0 (Pang and Lee, 2004), SentEval form.

    SUBJ has no fixed split; the literature reports 10-fold cross-validation
    (see `keras_memattn.datasets.cross_validation_splits`).

    Args:
        data_dir: optional folder holding `subj/subj.{objective,subjective}`.

    Returns:
        A tuple `(texts, labels)` of 10,000 sentences: the 5,000 objective
        ones first (label 0), then the 5,000 subjective ones (label 1).

    Example:

    ```python
    texts, labels = keras_memattn.datasets.load_subj()
    ```
    """
    texts, labels = [], []
    for label, name in enumerate(("subj.objective", "subj.subjective")):
        path = find_file(
            f"subj/{name}",
            data_dir,
            download=_download_file(_URLS["subj"] + name, f"subj/{name}"),
        )
        lines = [ln.strip() for ln in _read_lines(path, "ascii")]
        lines = [ln for ln in lines if ln]
        texts.extend(lines)
        labels.extend([label] * len(lines))
    return texts, _labels(labels)


_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)


def _read_imdb_archive(path):
    texts, labels = [], []
    with tarfile.open(path, "r:gz") as tar:
        members = [
            m
            for m in tar.getmembers()
            if m.isfile()
            and m.name.endswith(".txt")
            and m.name.split("/")[-2] in ("pos", "neg")
        ]
        members.sort(key=lambda m: m.name)
        for member in members:
            raw = tar.extractfile(member).read().decode("utf-8")
            texts.append(_BR.sub(" ", raw).strip())
            labels.append(1 if member.name.split("/")[-2] == "pos" else 0)
    return texts, _labels(labels)


def load_imdb(data_dir=None):
    """Loads the Large Movie Review Dataset v1.0 (Maas et al., 2011).

    The reviews are read straight from the two gzip-compressed tar archives
    (`imdb/aclImdb_{train,test}.tar.gz`), without unpacking them to disk.
    HTML line breaks (`<br />`) become spaces. Reading both splits takes a
    few seconds.

    Args:
        data_dir: optional folder holding `imdb/aclImdb_{train,test}.tar.gz`.

    Returns:
        A dict with keys `"train"` and `"test"`, each a tuple
        `(texts, labels)` of 25,000 reviews (0 = negative, 1 = positive),
        ordered by file name (all negative reviews, then all positive ones).

    Example:

    ```python
    data = keras_memattn.datasets.load_imdb()
    texts, labels = data["test"]
    ```
    """
    return {
        split: _read_imdb_archive(
            find_file(
                f"imdb/aclImdb_{split}.tar.gz",
                data_dir,
                download=_download_imdb,
            )
        )
        for split in ("train", "test")
    }


def load_ag_news(data_dir=None):
    """Loads the test split of AG's News topic classification (Zhang, 2015).

    Only the 7,600-row test split is available here (1,900 per class): the
    120,000-row train split is not part of the package's data folder, so use
    this set for evaluation or for small experiments with your own split.
    Each text is the title and the description joined by `". "`, with the
    file's backslashes, which stand for line breaks (`"social\\network"`,
    `"gave\\no"`), turned into spaces.

    Args:
        data_dir: optional folder holding `ag_news/test.csv`.

    Returns:
        A dict with the key `"test"`: a tuple `(texts, labels)` with labels
        0-3 for World, Sports, Business, Sci/Tech.

    Example:

    ```python
    texts, labels = keras_memattn.datasets.load_ag_news()["test"]
    ```
    """
    path = find_file(
        "ag_news/test.csv",
        data_dir,
        download=_download_file(
            _URLS["ag_news"] + "test.csv", "ag_news/test.csv"
        ),
    )
    texts, labels = [], []
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.reader(f):
            if not row:
                continue
            title, description = row[1], row[2]
            text = f"{title.strip()}. {description.strip()}"
            # Every backslash is a line break, also one before an "n"
            # (social\network, gave\no): not an escape sequence.
            texts.append(text.replace("\\", " "))
            labels.append(int(row[0]) - 1)
    return {"test": (texts, _labels(labels))}


def cross_validation_splits(labels, n_splits=10, seed=0):
    """Stratified k-fold splits, as used for MR and SUBJ in the literature.

    Uses `sklearn.model_selection.StratifiedKFold` with shuffling, so every
    fold has the class proportions of the whole set.

    Args:
        labels: int array of shape `(num_examples,)`.
        n_splits: number of folds, at least 2 and at most the number of
            examples. Defaults to 10.
        seed: seed of the shuffle. Defaults to 0.

    Returns:
        A list of `n_splits` tuples `(train_indices, test_indices)`; the test
        indices of all folds partition `range(num_examples)`.

    Example:

    ```python
    texts, labels = keras_memattn.datasets.load_subj()
    for train_idx, test_idx in keras_memattn.datasets.cross_validation_splits(
        labels, n_splits=10
    ):
        ...
    ```
    """
    if (
        isinstance(n_splits, bool)
        or not isinstance(n_splits, (int, np.integer))
        or n_splits < 2
    ):
        raise ValueError(
            "`n_splits` must be an integer of at least 2. "
            f"Received: n_splits={n_splits!r}"
        )
    try:
        from sklearn.model_selection import StratifiedKFold
    except ImportError as e:
        raise ImportError(
            "Cross-validation splits need scikit-learn: "
            "`pip install keras-memattn[apps]` (or `pip install "
            "scikit-learn`)."
        ) from e
    labels = np.asarray(labels)
    if n_splits > len(labels):
        raise ValueError(
            "`n_splits` must not exceed the number of examples "
            f"({len(labels)}). Received: n_splits={n_splits}"
        )
    folds = StratifiedKFold(
        n_splits=int(n_splits), shuffle=True, random_state=seed
    )
    return [
        (train.astype("int64"), test.astype("int64"))
        for train, test in folds.split(np.zeros(len(labels)), labels)
    ]


def load_text_classification(
    path,
    label_column="label",
    text_column="text",
    delimiter=None,
    has_header=True,
    class_names=None,
    encoding="utf-8",
):
    """Loads a labelled text file of your own: TSV or CSV.

    Tab-separated files are read literally: quote characters are part of
    the text, as in the SST-2 files, so a stray `"` cannot join rows.
    Other delimiters follow the CSV convention, where a field may be
    quoted to hold the delimiter, a newline or doubled `""` quotes; a
    quote that is never closed, or text right after a closing quote, is
    an error naming the row rather than text that swallows the rows
    after it. A UTF-8 byte-order mark at the start of the file (as
    spreadsheet programs write) is skipped. Rows may end with `"\\n"`,
    `"\\r\\n"` or a lone `"\\r"`.

    Args:
        path: a `.tsv`, `.csv` or `.txt` file with one example per row.
        label_column: the label column: a header name, or an int index
            (needed when `has_header=False`). Defaults to `"label"`.
        text_column: the text column, likewise. Defaults to `"text"`.
        delimiter: the field separator. Defaults to a comma for `.csv`
            files (any case) and a tab for every other file (`.tsv`,
            `.txt`, ...).
        has_header: whether the first row names the columns. Defaults to
            `True`.
        class_names: optional list of label values in label order, e.g. the
            `class_names` returned when loading the training file, so that a
            test file uses the same integer labels. By default the sorted set
            of labels found in the file (numerically if they are all
            integers, signed ones such as `-1` and `+1` included).
        encoding: the file's text encoding. Defaults to `"utf-8"`, with
            or without a byte-order mark.

    Returns:
        A tuple `(texts, labels, class_names)`: a list of str, an int32
        array indexing `class_names`, and the list of label values (as
        str).

    Raises:
        TypeError: if `path` is not a str, bytes or os.PathLike.
        FileNotFoundError: if `path` does not exist.
        IsADirectoryError: if `path` is a folder.
        ValueError: if `delimiter` is not one character, `encoding` is
            unknown, a named column is missing or named twice in the
            header, the file has no rows, is not in `encoding`, has a
            malformed quoted field, a label is empty, or a label is not in
            `class_names`. Errors about a row name the line it starts on.

    Example:

    ```python
    texts, labels, class_names = (
        keras_memattn.datasets.load_text_classification(
            "reviews.tsv", label_column="label", text_column="sentence"
        )
    )
    ```
    """
    try:
        # str, bytes or os.PathLike, as `open` takes; str from here on.
        path = os.fsdecode(path)
    except TypeError:
        raise TypeError(
            "`path` must be a file path (a str, bytes or os.PathLike). "
            f"Received: path={path!r}"
        ) from None
    if os.path.isdir(path):
        raise IsADirectoryError(
            f"{path} is a folder; `path` names a TSV or CSV file."
        )
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No such file: {path}")
    has_header = _validation.boolean("has_header", has_header)
    _validation.not_one_string("class_names", class_names, "label values")
    if delimiter is None:
        delimiter = "," if path.lower().endswith(".csv") else "\t"
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise ValueError(
            "`delimiter` must be a single character, such as ',' or '\\t'. "
            f"Received: delimiter={delimiter!r}"
        )
    try:
        codec = codecs.lookup(encoding)
    except (LookupError, TypeError):
        raise ValueError(
            "`encoding` must name a text encoding Python knows, such as "
            f"'utf-8' or 'latin-1'. Received: encoding={encoding!r}"
        ) from None
    # With or without a byte-order mark; errors name the encoding given.
    read_as = "utf-8-sig" if codec.name == "utf-8" else encoding
    try:
        with open(path, encoding=read_as, newline="") as f:
            text = f.read()
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{path} is not valid {encoding} text ({error.reason} at byte "
            f"{error.start}); pass the file's `encoding`."
        ) from None
    quoted = delimiter != "\t"
    reader = csv.reader(
        # Rows end at "\n", "\r\n" or a lone "\r" (old Mac files); the
        # reader, not the stream, decides which ends sit inside quotes.
        io.StringIO(text, newline=""),
        delimiter=delimiter,
        quoting=csv.QUOTE_MINIMAL if quoted else csv.QUOTE_NONE,
        # Strict: an unclosed quote is an error, not a field that runs to
        # the end of the file.
        strict=quoted,
    )
    rows, row_lines = [], []
    # The csv module refuses fields over 128 KiB (a long document is
    # legitimate); no field can be longer than the file.
    field_limit = csv.field_size_limit()
    csv.field_size_limit(max(field_limit, len(text) + 1))
    try:
        while True:
            first_line = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as error:
                hint = ""
                if "unexpected end of data" in str(error):
                    hint = " (a quote opened there is never closed)"
                raise ValueError(
                    f"{path}: cannot read the row that starts on line "
                    f"{first_line}: {error}{hint}"
                ) from None
            if row:
                # Empty lines are skipped and a quoted field may span
                # lines: errors name the line each row starts on.
                rows.append(row)
                row_lines.append(first_line)
    finally:
        csv.field_size_limit(field_limit)
    if has_header:
        if not rows:
            raise ValueError(f"{path} is empty.")
        header, rows = [h.strip() for h in rows[0]], rows[1:]
        row_lines = row_lines[1:]
    else:
        header = None
    label_index = _column_index("label_column", label_column, header, path)
    text_index = _column_index("text_column", text_column, header, path)
    if label_index == text_index:
        raise ValueError(
            "`label_column` and `text_column` must be different columns. "
            f"Received: label_column={label_column!r}, "
            f"text_column={text_column!r} (both column {label_index})"
        )
    if not rows:
        raise ValueError(f"{path} has no data rows.")
    texts, raw_labels = [], []
    for line_number, row in zip(row_lines, rows):
        where = f"{path}: the row that starts on line {line_number}"
        if header is not None and len(row) > len(header):
            raise ValueError(
                f"{where} has {len(row)} fields but the "
                f"header names {len(header)}; a delimiter inside a text "
                "would cut it silently (quote such fields in a CSV file)."
            )
        if max(label_index, text_index) >= len(row):
            raise ValueError(
                f"{where} has {len(row)} fields; expected at least "
                f"{max(label_index, text_index) + 1}."
            )
        label = row[label_index].strip()
        if not label:
            raise ValueError(f"{where} has an empty label.")
        raw_labels.append(label)
        texts.append(row[text_index].strip())
    if class_names is None:
        values = set(raw_labels)
        if all(re.fullmatch(r"[-+]?\d+", v) for v in values):
            # By value, then by text: "01" and "1" keep one order.
            class_names = sorted(values, key=lambda v: (int(v), v))
        else:
            class_names = sorted(values)
    class_names = [str(c) for c in class_names]
    repeated = sorted({c for c in class_names if class_names.count(c) > 1})
    if repeated:
        raise ValueError(
            f"`class_names` must not repeat a label; {repeated} appear more "
            f"than once. Received: class_names={class_names}"
        )
    index = {name: i for i, name in enumerate(class_names)}
    unknown = sorted(set(raw_labels) - set(index))
    if unknown:
        raise ValueError(
            f"{path}: labels {unknown[:5]} are not among "
            f"class_names={class_names}."
        )
    return texts, _labels([index[v] for v in raw_labels]), class_names


def _column_index(name, column, header, path):
    if isinstance(column, (int, np.integer)) and not isinstance(column, bool):
        if column < 0:
            raise ValueError(
                f"`{name}` must be a column index of 0 or more (or a header "
                f"name). Received: {name}={column!r}"
            )
        return int(column)
    if header is None:
        raise ValueError(
            f"`{name}` must be an integer index when the file has no header. "
            f"Received: {name}={column!r}"
        )
    if column not in header:
        raise ValueError(
            f"{path} has no column named {column!r} (`{name}`). "
            f"Columns: {header}"
        )
    found = [i for i, h in enumerate(header) if h == column]
    if len(found) > 1:
        # Taking the first could silently read the column not meant.
        raise ValueError(
            f"{path} has {len(found)} columns named {column!r} (`{name}`), "
            f"at indices {found}; rename them so that each name is unique. "
            f"Received: {name}={column!r}"
        )
    return found[0]
