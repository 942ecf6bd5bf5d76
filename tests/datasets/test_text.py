import io
import os
import re
import tarfile

import numpy as np
import pytest

from keras_memattn import datasets


def test_sst2_splits_and_escapes():
    data = datasets.load_sst2()
    sizes = {k: len(v[0]) for k, v in data.items()}
    assert sizes == {"train": 67349, "dev": 872, "test": 1821}
    for texts, labels in data.values():
        assert labels.dtype == np.int32
        assert set(np.unique(labels)) == {0, 1}
        assert len(texts) == len(labels)
        assert all(isinstance(t, str) and t == t.strip() for t in texts[:50])
    dev_test = data["dev"][0] + data["test"][0]
    assert not any("-lrb-" in t or "-rrb-" in t for t in dev_test)
    assert any("(" in t for t in dev_test)
    assert not any("\\" in t for t in dev_test)
    assert any(t.endswith("such a wise *** .") for t in data["test"][0])
    assert data["test"][1].sum() == 909


def test_trec_coarse_and_fine():
    data = datasets.load_trec()
    assert data["class_names"] == ["ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM"]
    assert len(data["train"][0]) == 5452
    np.testing.assert_array_equal(
        np.bincount(data["test"][1]), [9, 138, 94, 65, 81, 113]
    )
    # The one byte that is not UTF-8 is read, not dropped.
    assert any("sister\xf0city" in t for t in data["train"][0])
    assert not any(":" in t.split(" ")[0] for t in data["test"][0][:20])
    with pytest.raises(ValueError, match="Received: fine='False'"):
        datasets.load_trec(fine="False")
    fine = datasets.load_trec(fine=True)
    assert len(fine["class_names"]) == 50
    assert fine["train"][1].max() == 49
    coarse_of_fine = [
        fine["class_names"][i].split(":")[0] for i in fine["test"][1]
    ]
    assert coarse_of_fine == [data["class_names"][i] for i in data["test"][1]]


def test_mr_and_subj():
    texts, labels = datasets.load_mr()
    assert len(texts) == 10662
    np.testing.assert_array_equal(np.bincount(labels), [5331, 5331])
    # Windows-1252 punctuation decodes to the real characters.
    assert any("\u2026" in t for t in texts)
    texts, labels = datasets.load_subj()
    assert len(texts) == 10000
    np.testing.assert_array_equal(np.bincount(labels), [5000, 5000])


def test_ag_news_test_only():
    data = datasets.load_ag_news()
    assert list(data) == ["test"]
    texts, labels = data["test"]
    np.testing.assert_array_equal(np.bincount(labels), [1900] * 4)
    assert not any("\\" in t for t in texts)
    # The file's backslashes are line breaks, also those before an "n".
    assert any("for social network and whitelist" in t for t in texts)
    assert any("and gave no indication" in t for t in texts)
    assert not any(" etwork " in t for t in texts)


def _write_imdb_archive(folder, split, reviews):
    os.makedirs(folder / "imdb", exist_ok=True)
    path = folder / "imdb" / f"aclImdb_{split}.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name, text in reviews.items():
            data = text.encode("utf-8")
            info = tarfile.TarInfo(f"aclImdb/{split}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        info = tarfile.TarInfo(f"aclImdb/{split}/urls_pos.txt")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"url"))


def test_imdb_reads_archives_without_unpacking(tmp_path):
    reviews = {
        "pos/0_9.txt": "Great.<br /><br />Loved it \u00e9",
        "neg/1_2.txt": "Bad<br/>film",
        "neg/0_1.txt": "Awful",
    }
    for split in ("train", "test"):
        _write_imdb_archive(tmp_path, split, reviews)
    before = sorted(os.listdir(tmp_path / "imdb"))
    data = datasets.load_imdb(data_dir=tmp_path)
    texts, labels = data["train"]
    assert texts == ["Awful", "Bad film", "Great.  Loved it \u00e9"]
    np.testing.assert_array_equal(labels, [0, 0, 1])
    assert sorted(os.listdir(tmp_path / "imdb")) == before


def test_missing_file_names_the_three_ways(tmp_path, monkeypatch):
    monkeypatch.delenv("KERAS_MEMATTN_DATA", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    with pytest.raises(FileNotFoundError) as info:
        datasets.load_subj(data_dir=tmp_path)
    message = str(info.value)
    assert "subj/subj.objective" in message
    assert "data_dir" in message and "KERAS_MEMATTN_DATA" in message


def test_sst2_and_subj_downloads_are_pinned_and_hashed(tmp_path, monkeypatch):
    # No network: a stand-in for `keras.utils.get_file` records the request
    # and writes a tiny file where the real download would put it.
    import keras

    monkeypatch.delenv("KERAS_MEMATTN_DATA", raising=False)
    monkeypatch.delenv("KERAS_MEMATTN_NO_DOWNLOAD", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    requests = []

    def fake_get_file(fname, origin, file_hash, cache_dir, cache_subdir):
        requests.append((origin, file_hash))
        folder = os.path.join(cache_dir, cache_subdir)
        os.makedirs(folder, exist_ok=True)
        body = "label\ttext\n1\tfine\n" if fname.endswith("tsv") else "a\n"
        with open(os.path.join(folder, fname), "w") as f:
            f.write(body)
        return os.path.join(folder, fname)

    monkeypatch.setattr(keras.utils, "get_file", fake_get_file)
    assert datasets.load_sst2()["test"][0] == ["fine"]
    assert datasets.load_subj()[1].tolist() == [0, 1]
    assert len(requests) == 5
    for origin, file_hash in requests:
        # A commit-pinned address and a SHA-256 for every file.
        assert re.search(r"/[0-9a-f]{40}/", origin), origin
        assert re.fullmatch(r"[0-9a-f]{64}", file_hash), origin


def test_cross_validation_splits_partition_and_stratify():
    labels = np.array([0] * 30 + [1] * 10)
    folds = datasets.cross_validation_splits(labels, n_splits=5, seed=3)
    assert len(folds) == 5
    tests = np.concatenate([test for _, test in folds])
    np.testing.assert_array_equal(np.sort(tests), np.arange(40))
    for train, test in folds:
        assert not set(train) & set(test)
        np.testing.assert_array_equal(np.bincount(labels[test]), [6, 2])
    again = datasets.cross_validation_splits(labels, n_splits=5, seed=3)
    other = datasets.cross_validation_splits(labels, n_splits=5, seed=4)
    np.testing.assert_array_equal(folds[0][1], again[0][1])
    assert any(not np.array_equal(a[1], b[1]) for a, b in zip(folds, other))
    with pytest.raises(ValueError, match="n_splits=1"):
        datasets.cross_validation_splits(labels, n_splits=1)
    with pytest.raises(
        ValueError, match=r"examples \(3\). Received: n_splits=4"
    ):
        datasets.cross_validation_splits([0, 1, 1], n_splits=4)


def test_load_text_classification(tmp_path):
    path = tmp_path / "data.tsv"
    path.write_text("id\tsentence\tlabel\n1\tgood one\tpos\n2\tbad\tneg\n")
    texts, labels, names = datasets.load_text_classification(
        path, label_column="label", text_column="sentence"
    )
    assert texts == ["good one", "bad"]
    assert names == ["neg", "pos"]
    np.testing.assert_array_equal(labels, [1, 0])
    # A second file reuses the first file's classes.
    other = tmp_path / "other.tsv"
    other.write_text("id\tsentence\tlabel\n3\tmeh\tneg\n")
    _, labels, names2 = datasets.load_text_classification(
        other, "label", "sentence", class_names=names
    )
    assert names2 == names and labels.tolist() == [0]

    csv_path = tmp_path / "data.csv"
    csv_path.write_text('10,"a, quoted text"\n2,plain\n')
    texts, labels, names = datasets.load_text_classification(
        csv_path, label_column=0, text_column=1, has_header=False
    )
    assert texts == ["a, quoted text", "plain"]
    assert names == ["2", "10"]  # numeric labels sort numerically
    np.testing.assert_array_equal(labels, [1, 0])

    # Signs count (the +1/-1 convention), and equal values sort by text, so
    # the order does not follow the hash seed of the process.
    signed = tmp_path / "signed.tsv"
    signed.write_text("label\ttext\n+1\tgood\n-1\tbad\n01\tx\n1\ty\n")
    _, labels, names = datasets.load_text_classification(signed)
    assert names == ["-1", "+1", "01", "1"]
    np.testing.assert_array_equal(labels, [1, 0, 2, 3])


def test_load_text_classification_errors(tmp_path):
    path = tmp_path / "data.tsv"
    path.write_text("label\ttext\n1\tfine\n")
    with pytest.raises(ValueError, match="no column named 'sentence'"):
        datasets.load_text_classification(path, text_column="sentence")
    with pytest.raises(FileNotFoundError, match="missing.tsv"):
        datasets.load_text_classification(tmp_path / "missing.tsv")
    with pytest.raises(ValueError, match="not among"):
        datasets.load_text_classification(path, class_names=["0"])
    with pytest.raises(ValueError, match="integer index"):
        datasets.load_text_classification(path, has_header=False)
    # A string of labels used to be read as a list of its characters.
    with pytest.raises(ValueError, match="not one string"):
        datasets.load_text_classification(path, class_names="10")
    with pytest.raises(ValueError, match="Received: has_header='no'"):
        datasets.load_text_classification(path, has_header="no")
    # The same column twice used to train texts to predict themselves.
    with pytest.raises(
        ValueError, match=r"different columns.*\(both column 1\)"
    ):
        datasets.load_text_classification(
            path, label_column="text", text_column="text"
        )
    # A negative index used to fail with a bare IndexError.
    with pytest.raises(ValueError, match="Received: label_column=-5"):
        datasets.load_text_classification(
            path, label_column=-5, text_column=1, has_header=False
        )
    # A repeated class name used to leave a label index unused.
    with pytest.raises(ValueError, match=r"\['1'\] appear more than once"):
        datasets.load_text_classification(path, class_names=["1", "0", "1"])
    extra = tmp_path / "extra.tsv"
    extra.write_text("label\ttext\n1\tfine\n0\ta\ttab\n")
    with pytest.raises(
        ValueError, match="starts on line 3 has 3 fields but the header"
    ):
        datasets.load_text_classification(extra)
    empty_label = tmp_path / "empty_label.tsv"
    empty_label.write_text("label\ttext\n1\tfine\n \tno label\n")
    with pytest.raises(ValueError, match="line 3 has an empty label"):
        datasets.load_text_classification(empty_label)
    latin = tmp_path / "latin.tsv"
    latin.write_bytes("label\ttext\n1\tcaf\u00e9\n".encode("latin-1"))
    with pytest.raises(
        ValueError, match=r"latin.tsv is not valid utf-8 text \("
    ):
        datasets.load_text_classification(latin)
    assert datasets.load_text_classification(latin, encoding="latin-1")[0] == [
        "caf\u00e9"
    ]
    # Python's own csv and codecs errors did not name the argument.
    with pytest.raises(ValueError, match="Received: delimiter='ab'"):
        datasets.load_text_classification(latin, delimiter="ab")
    with pytest.raises(ValueError, match="Received: encoding='nonsense'"):
        datasets.load_text_classification(latin, encoding="nonsense")


def test_load_text_classification_quotes_and_byte_order_mark(tmp_path):
    # In a TSV, quotes are text: a stray one must not swallow later rows.
    path = tmp_path / "quotes.tsv"
    path.write_text(
        'label\ttext\n0\t"worst movie ever\n1\tnice film\n1\t"Jaws" is fun\n'
    )
    texts, labels, _ = datasets.load_text_classification(path)
    assert texts == ['"worst movie ever', "nice film", '"Jaws" is fun']
    assert labels.tolist() == [0, 1, 1]
    # Spreadsheet programs start UTF-8 files with a byte-order mark.
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbflabel,text\npos,good\n")
    texts, _, names = datasets.load_text_classification(bom)
    assert (texts, names) == (["good"], ["pos"])


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"])
def test_any_line_ending(tmp_path, end):
    # Files ending rows with a lone "\r" (old Mac) used to be an error.
    tsv = tmp_path / "data.tsv"
    tsv.write_bytes(
        end.join(["label\ttext", "1\tgood film", "0\tdull", ""]).encode()
    )
    texts, labels, _ = datasets.load_text_classification(tsv)
    assert (texts, labels.tolist()) == (["good film", "dull"], [1, 0])
    # A line end inside quotes stays in the text, as written.
    csv_file = tmp_path / "data.csv"
    rows = ["label,text", f'1,"good{end}film"', "0,dull", ""]
    csv_file.write_bytes(end.join(rows).encode())
    texts, _, _ = datasets.load_text_classification(csv_file)
    assert texts == [f"good{end}film", "dull"]


def test_path_types(tmp_path):
    path = tmp_path / "data.tsv"
    path.write_text("label\ttext\n1\tgood film\n")
    for given in (path, str(path), os.fsencode(path)):
        assert datasets.load_text_classification(given)[0] == ["good film"]
    with pytest.raises(TypeError, match="Received: path=3"):
        datasets.load_text_classification(3)


def test_default_delimiter_is_a_comma_for_csv_only(tmp_path):
    # The documented rule: a comma for .csv (any case), a tab otherwise.
    for name in ("data.dat", "data", "data.txt"):
        path = tmp_path / name
        path.write_text("label\ttext\npos\tgood, fine film\n")
        texts, _, names = datasets.load_text_classification(path)
        assert (texts, names) == (["good, fine film"], ["pos"]), name
    upper = tmp_path / "DATA.CSV"
    upper.write_text('label,text\npos,"good\tfine"\n')
    assert datasets.load_text_classification(upper)[0] == ["good\tfine"]


def test_unclosed_quote_in_a_csv_names_the_row(tmp_path):
    # Without the check, the open quote took every later row as text.
    path = tmp_path / "open.csv"
    path.write_text('label,text\npos,good film\nneg,"dull\npos,nice\nneg,bad\n')
    with pytest.raises(
        ValueError,
        match=r"open\.csv: cannot read the row that starts on line 3: .*"
        r"never closed",
    ):
        datasets.load_text_classification(path)
    # Text after a closing quote is malformed too.
    after = tmp_path / "after.csv"
    after.write_text('label,text\npos,"good" film\n')
    with pytest.raises(ValueError, match="starts on line 2"):
        datasets.load_text_classification(after)
    # Well-formed quoting still reads, newlines and doubled quotes included.
    good = tmp_path / "good.csv"
    good.write_text('label,text\npos,"a ""fine""\nfilm"\nneg,dull\n')
    texts, _, _ = datasets.load_text_classification(good)
    assert texts == ['a "fine"\nfilm', "dull"]


def test_row_errors_name_the_line_after_empty_lines_and_quoted_newlines(
    tmp_path,
):
    # Counting only the rows read named line 3 of a file whose bad row
    # is on line 5 (after empty lines, or a text spanning lines).
    blank = tmp_path / "blank.tsv"
    blank.write_text("label\ttext\n\n\npos\tgood\n\tno label\n")
    with pytest.raises(
        ValueError, match=r"blank\.tsv: the row that starts on line 5 has an"
    ):
        datasets.load_text_classification(blank)
    spanning = tmp_path / "spanning.csv"
    spanning.write_text('label,text\npos,"a\nb\nc"\nneg,x,y\n')
    with pytest.raises(
        ValueError, match="starts on line 5 has 3 fields but the header"
    ):
        datasets.load_text_classification(spanning)
    short = tmp_path / "short.tsv"
    short.write_text("label\ttext\n\npos\n")
    with pytest.raises(ValueError, match="starts on line 3 has 1 fields"):
        datasets.load_text_classification(short)


def test_a_column_name_that_appears_twice_is_an_error(tmp_path):
    # The first of the two was taken, whichever the user meant.
    path = tmp_path / "twice.tsv"
    path.write_text("text\tlabel\ttext\nold\tpos\tnew\n")
    with pytest.raises(
        ValueError,
        match=r"2 columns named 'text' \(`text_column`\), at indices "
        r"\[0, 2\].*Received: text_column='text'",
    ):
        datasets.load_text_classification(path)
    # An index picks one of them.
    texts, _, _ = datasets.load_text_classification(path, text_column=2)
    assert texts == ["new"]


@pytest.mark.parametrize("name", ["long.tsv", "long.csv"])
def test_a_text_longer_than_the_csv_field_limit(tmp_path, name):
    # The csv module's default limit is 131,072 characters per field.
    long_text = "word " * 40000 + "end"
    path = tmp_path / name
    sep = "," if name.endswith(".csv") else "\t"
    path.write_text(f"label{sep}text\npos{sep}{long_text}\nneg{sep}dull\n")
    texts, labels, _ = datasets.load_text_classification(path)
    assert texts == [long_text, "dull"]
    np.testing.assert_array_equal(labels, [1, 0])
