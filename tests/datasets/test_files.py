import os

import pytest

from keras_memattn.datasets import _files
from keras_memattn.datasets import find_file


def test_data_dir_comes_first(tmp_path, monkeypatch):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f.txt").write_text("x")
    monkeypatch.setenv("KERAS_MEMATTN_DATA", "/nonexistent")
    assert find_file("d/f.txt", data_dir=tmp_path) == str(
        tmp_path / "d" / "f.txt"
    )


def test_env_var_then_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KERAS_MEMATTN_DATA", str(tmp_path / "env"))
    cached = os.path.join(_files.cache_dir(), "d", "f.txt")
    os.makedirs(os.path.dirname(cached))
    open(cached, "w").close()
    assert find_file("d/f.txt") == cached
    os.makedirs(tmp_path / "env" / "d")
    (tmp_path / "env" / "d" / "f.txt").write_text("y")
    assert find_file("d/f.txt") == str(tmp_path / "env" / "d" / "f.txt")


def test_download_into_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.delenv("KERAS_MEMATTN_DATA", raising=False)
    monkeypatch.delenv("KERAS_MEMATTN_NO_DOWNLOAD", raising=False)

    def download(root):
        os.makedirs(os.path.join(root, "d"))
        with open(os.path.join(root, "d", "f.txt"), "w") as f:
            f.write("z")

    path = find_file("d/f.txt", download=download)
    assert open(path).read() == "z"


def test_missing_file_error_names_file_and_three_ways(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.delenv("KERAS_MEMATTN_DATA", raising=False)
    monkeypatch.delenv("KERAS_MEMATTN_NO_DOWNLOAD", raising=False)

    def failing_download(root):
        raise OSError("no network")

    with pytest.raises(FileNotFoundError) as info:
        find_file("sst2/train.tsv", download=failing_download)
    message = str(info.value)
    assert "sst2/train.tsv" in message
    assert "data_dir=" in message and "KERAS_MEMATTN_DATA" in message
    assert "Keras cache" in message and "no network" in message


def test_tests_never_download(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.delenv("KERAS_MEMATTN_DATA", raising=False)
    calls = []
    with pytest.raises(FileNotFoundError, match="switched off"):
        find_file("d/f.txt", download=calls.append)
    assert calls == []
