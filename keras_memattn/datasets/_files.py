"""Where dataset files come from.

Every loader looks for its files in this order:

1. the `data_dir=` argument of the loader;
2. the folder named by the `KERAS_MEMATTN_DATA` environment variable;
3. the Keras cache, `~/.keras/datasets/keras_memattn/` (or
   `$KERAS_HOME/datasets/keras_memattn/`);
4. a download from the dataset's canonical address with
   `keras.utils.get_file`, into the Keras cache (skipped when the
   environment variable `KERAS_MEMATTN_NO_DOWNLOAD` is set to a non-empty
   value; the test suite sets it).

All three folders share one layout: `<dataset>/<file>`, for example
`sst2/train.tsv` or `babi/en/qa1_single-supporting-fact_train.txt`. If none of
them has the file and the download fails, the error names the missing file
and the three ways to provide it.
"""

import os

ENV_VAR = "KERAS_MEMATTN_DATA"
NO_DOWNLOAD_VAR = "KERAS_MEMATTN_NO_DOWNLOAD"


def cache_dir():
    """The Keras cache folder used for downloads."""
    base = os.environ.get("KERAS_HOME") or os.path.join(
        os.path.expanduser("~"), ".keras"
    )
    return os.path.join(base, "datasets", "keras_memattn")


def candidate_dirs(data_dir=None):
    """The folders searched, in order."""
    dirs = []
    if data_dir is not None:
        try:
            dirs.append(os.fspath(data_dir))
        except TypeError:
            raise ValueError(
                "`data_dir` must be None or a folder path (a string or "
                f"os.PathLike). Received: data_dir={data_dir!r}"
            ) from None
    env = os.environ.get(ENV_VAR)
    if env:
        dirs.append(env)
    dirs.append(cache_dir())
    return dirs


def find_file(relative_path, data_dir=None, download=None):
    """Returns the absolute path of a dataset file.

    Args:
        relative_path: path inside the data folder, e.g. "sst2/train.tsv".
        data_dir: optional folder given by the user; searched first.
        download: optional callable `download(cache_root)` that fetches the
            dataset into `cache_root` (the Keras cache) so that
            `cache_root/relative_path` exists afterwards. Called only when no
            folder has the file.

    Returns:
        The path of an existing file.

    Raises:
        FileNotFoundError: naming the file and the three ways to provide it.
        ValueError: for a `data_dir` that is not a path.

    Example:

    ```python
    import keras_memattn

    path = keras_memattn.datasets.find_file("trec/TREC_10.label")
    ```
    """
    for folder in candidate_dirs(data_dir):
        path = os.path.join(folder, relative_path)
        if os.path.exists(path):
            return path
    reason = "no download is defined for it"
    if download is not None and os.environ.get(NO_DOWNLOAD_VAR):
        reason = f"downloads are switched off (${NO_DOWNLOAD_VAR} is set)"
    elif download is not None:
        root = cache_dir()
        try:
            download(root)
        except Exception as e:  # Network errors vary by platform.
            reason = f"the download failed ({type(e).__name__}: {e})"
        else:
            path = os.path.join(root, relative_path)
            if os.path.exists(path):
                return path
            reason = "the download did not contain it"
    searched = "\n".join(f"  - {d}" for d in candidate_dirs(data_dir))
    raise FileNotFoundError(
        f"Dataset file `{relative_path}` was not found, and {reason}.\n"
        f"Searched:\n{searched}\n"
        "Provide it in one of three ways: pass `data_dir=` (a folder that "
        f"contains `{relative_path}`), set the `{ENV_VAR}` environment "
        "variable to such a folder, or place the file under the Keras cache "
        f"at `{os.path.join(cache_dir(), relative_path)}`."
    )
