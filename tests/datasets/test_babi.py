import os

import numpy as np
import pytest

from keras_memattn.datasets import babi
from keras_memattn.datasets import load_babi
from keras_memattn.datasets import load_babi_joint

TASK1_TRAIN = os.path.join("babi", "en", "qa1_single-supporting-fact_train.txt")


def _decode(ids, vocabulary):
    return [vocabulary[i] for i in ids if i != 0]


@pytest.fixture(scope="module")
def task1():
    return load_babi(1)


def test_shapes_and_vocabulary(task1):
    (stories, queries, answers), test, vocabulary = task1
    assert vocabulary[:2] == [babi.PAD, babi.UNKNOWN]
    assert vocabulary[2:] == sorted(vocabulary[2:])
    assert len(set(vocabulary)) == len(vocabulary)
    assert stories.ndim == 3 and queries.ndim == 2 and answers.ndim == 1
    assert len(stories) == len(queries) == len(answers) == 1000
    for split in (stories, queries, answers):
        assert split.dtype == np.int32
    assert [a.shape[1:] for a in test[:2]] == [
        stories.shape[1:],
        queries.shape[1:],
    ]
    assert len(test[2]) == 1000
    assert answers.min() >= 2 and answers.max() < len(vocabulary)


def test_first_sample_matches_the_file(task1):
    (stories, queries, answers), _, vocabulary = task1
    path = os.path.join(os.environ["KERAS_MEMATTN_DATA"], TASK1_TRAIN)
    with open(path) as f:
        lines = [next(f) for _ in range(3)]
    facts = [line.split(" ", 1)[1].strip(" .\n").lower() for line in lines[:2]]
    question, answer, _ = lines[2].split(" ", 1)[1].split("\t")
    assert [" ".join(_decode(f, vocabulary)) for f in stories[0][:2]] == facts
    assert not stories[0][2:].any()  # Padding facts after the story.
    assert " ".join(_decode(queries[0], vocabulary)) == (
        question.strip(" ?").lower()
    )
    assert vocabulary[answers[0]] == answer


def test_only_supporting_keeps_the_supporting_fact():
    (stories, _, answers), _, vocabulary = load_babi(1, only_supporting=True)
    assert stories.shape[1] == 1  # Task 1 has one supporting fact.
    # The supporting fact of "where is X?" names the answer location.
    hits = [
        vocabulary[a] in _decode(s[0], vocabulary)
        for s, a in zip(stories, answers)
    ]
    assert all(hits)


def test_max_facts_keeps_the_most_recent_facts():
    (full, _, _), _, _ = load_babi(2)
    (short, _, _), _, _ = load_babi(2, max_facts=3)
    assert short.shape[1] == 3
    counts = (full != 0).any(-1).sum(-1)
    for n in np.flatnonzero(counts >= 3)[:20]:
        np.testing.assert_array_equal(
            short[n], full[n, counts[n] - 3 : counts[n]]
        )


@pytest.mark.parametrize("task", [0, 21, "1", True])
def test_bad_task(task):
    with pytest.raises(ValueError, match="Received: task="):
        load_babi(task)


def test_bad_max_facts():
    with pytest.raises(ValueError, match="Received: max_facts=0"):
        load_babi(1, max_facts=0)


def test_missing_files_name_the_file_and_do_not_download(tmp_path, monkeypatch):
    def no_download(root):
        raise OSError("offline")

    monkeypatch.setattr(babi, "_download", no_download)
    monkeypatch.delenv("KERAS_MEMATTN_DATA")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    with pytest.raises(FileNotFoundError, match="qa1_single-supporting-fact"):
        load_babi(1, data_dir=tmp_path)


def _decoded_samples(stories, queries, answers, vocabulary):
    return [
        (
            [" ".join(_decode(f, vocabulary)) for f in story if f.any()],
            " ".join(_decode(query, vocabulary)),
            vocabulary[answer],
        )
        for story, query, answer in zip(stories, queries, answers)
    ]


def test_joint_concatenates_the_tasks_with_one_vocabulary():
    train, test, vocabulary = load_babi_joint(tasks=[2, 1])
    stories, queries, answers, task_ids = train
    assert stories.shape[0] == len(queries) == len(answers) == 2000
    assert task_ids.dtype == np.int32
    np.testing.assert_array_equal(task_ids, [2] * 1000 + [1] * 1000)
    np.testing.assert_array_equal(test[3], [2] * 1000 + [1] * 1000)
    assert vocabulary[:2] == [babi.PAD, babi.UNKNOWN]
    assert vocabulary[2:] == sorted(vocabulary[2:])
    # The same words as task by task, in one id space and one shape.
    words = set()
    for task, rows in ((2, slice(0, 1000)), (1, slice(1000, 2000))):
        (s, q, a), _, single_vocabulary = load_babi(task)
        words.update(single_vocabulary)
        assert _decoded_samples(
            stories[rows], queries[rows], answers[rows], vocabulary
        ) == _decoded_samples(s, q, a, single_vocabulary)
    assert set(vocabulary) == words


@pytest.mark.parametrize("tasks", [[], [0, 1], [1, 1], [1, "2"]])
def test_joint_bad_tasks(tasks):
    with pytest.raises(ValueError, match="Received: tasks="):
        load_babi_joint(tasks)


def test_joint_bad_max_facts():
    with pytest.raises(ValueError, match="Received: max_facts=-1"):
        load_babi_joint([1], max_facts=-1)


def test_boolean_and_task_list_arguments_are_checked():
    with pytest.raises(ValueError, match="ten_k='no'"):
        load_babi(1, ten_k="no")
    with pytest.raises(ValueError, match="tasks=5"):
        load_babi_joint(tasks=5)


def test_data_dir_that_is_not_a_path_is_named():
    # os.fspath's TypeError did not say which argument it was about.
    with pytest.raises(ValueError, match="Received: data_dir=1"):
        load_babi(1, data_dir=1)
    with pytest.raises(ValueError, match="Received: data_dir=1"):
        load_babi_joint([1], data_dir=1)
