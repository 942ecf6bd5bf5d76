"""The bAbI question-answering tasks 1-20 (v1.2), as padded id arrays."""

import os
import re
import shutil
import tarfile

import keras
import numpy as np

from keras_memattn import _validation
from keras_memattn.datasets._files import find_file

__all__ = ["TASK_NAMES", "load_babi", "load_babi_joint"]

URL = "https://s3.amazonaws.com/text-datasets/babi_tasks_1-20_v1-2.tar.gz"
_ARCHIVE_ROOT = "tasks_1-20_v1-2"

TASK_NAMES = {
    1: "single-supporting-fact",
    2: "two-supporting-facts",
    3: "three-supporting-facts",
    4: "two-arg-relations",
    5: "three-arg-relations",
    6: "yes-no-questions",
    7: "counting",
    8: "lists-sets",
    9: "simple-negation",
    10: "indefinite-knowledge",
    11: "basic-coreference",
    12: "conjunction",
    13: "compound-coreference",
    14: "time-reasoning",
    15: "basic-deduction",
    16: "basic-induction",
    17: "positional-reasoning",
    18: "size-reasoning",
    19: "path-finding",
    20: "agents-motivations",
}

PAD = "<pad>"
UNKNOWN = "<unk>"


def _download(root):
    archive = keras.utils.get_file(
        fname="babi_tasks_1-20_v1-2.tar.gz",
        origin=URL,
        cache_dir=root,
        cache_subdir=".",
    )
    target = os.path.join(root, "babi")
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            parts = member.name.split("/")
            if not member.isfile() or parts[0] != _ARCHIVE_ROOT:
                continue
            relative = os.path.join(*parts[1:])
            path = os.path.join(target, relative)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with tar.extractfile(member) as src, open(path, "wb") as dst:
                shutil.copyfileobj(src, dst)


def _tokenize(sentence):
    return re.findall(r"[a-z0-9]+", sentence.lower())


def _parse(path, only_supporting):
    """Yields `(facts, question, answer)` with facts as token lists."""
    story = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            number, text = line.split(" ", 1)
            if int(number) == 1:
                story = []
            if "\t" in text:
                question, answer, support = text.split("\t")
                if only_supporting:
                    ids = {int(i) for i in support.split()}
                    facts = [s for n, s in story if n in ids]
                else:
                    facts = [s for _, s in story]
                yield facts, _tokenize(question), answer.strip().lower()
            else:
                story.append((int(number), _tokenize(text)))


def _encode(samples, index, max_facts, sentence_length, query_length):
    unknown = index[UNKNOWN]
    count = len(samples)
    stories = np.zeros((count, max_facts, sentence_length), "int32")
    queries = np.zeros((count, query_length), "int32")
    answers = np.zeros((count,), "int32")
    for n, (facts, question, answer) in enumerate(samples):
        facts = facts[-max_facts:]
        for i, fact in enumerate(facts):
            ids = [index.get(w, unknown) for w in fact[:sentence_length]]
            stories[n, i, : len(ids)] = ids
        ids = [index.get(w, unknown) for w in question[:query_length]]
        queries[n, : len(ids)] = ids
        answers[n] = index.get(answer, unknown)
    return stories, queries, answers


def load_babi(
    task=1,
    ten_k=False,
    max_facts=50,
    only_supporting=False,
    data_dir=None,
):
    """Loads one bAbI task (English, v1.2) as integer arrays.

    Each sample is a story (the facts seen so far in its episode, the most
    recent `max_facts` kept, in order), a question and a one-word answer
    (answers such as `"apple,football"` of task 8 count as one word). Text
    is lower-cased and split into words; punctuation is dropped. Id 0 is
    padding and id 1 stands for words absent from the training split; the
    vocabulary (questions, facts and answers) comes from the training split
    only, sorted.

    Stories are padded after their facts with all-zero facts to the longest
    training story (at most `max_facts`; longer test stories keep their most
    recent facts), and facts and questions are padded with zeros after
    their words to the longest training fact and question (longer test
    sentences are cut).

    Files are looked up as `babi/en/qaN_<name>_{train,test}.txt` (or
    `babi/en-10k/...`) under `data_dir`, `$KERAS_MEMATTN_DATA`, the Keras
    cache, or downloaded from the bAbI v1.2 archive into the Keras cache.

    Args:
        task: task number, 1 to 20.
        ten_k: use the 10,000-question training split (`en-10k`) instead of
            the 1,000-question one (`en`).
        max_facts: keep at most this many of the most recent facts per
            story. Defaults to 50, as in MemN2N.
        only_supporting: keep only the supporting facts of each question.
        data_dir: optional folder that holds `babi/...`.

    Returns:
        `(train, test, vocabulary)`: `train` and `test` are tuples
        `(stories, queries, answers)` of int32 arrays of shapes
        `(samples, facts, words)`, `(samples, query_words)` and
        `(samples,)`, with `facts` the length of the longest training
        story (at most `max_facts`); `vocabulary` is the list of words by
        id.

    Raises:
        ValueError: for a task outside 1-20 or a non-positive `max_facts`.
        FileNotFoundError: if the files are not found and cannot be
            downloaded.

    Example:

    >>> from keras_memattn.datasets import load_babi
    >>> (stories, queries, answers), test, vocab = load_babi(task=1)
    >>> stories.shape, queries.shape, answers.shape
    ((1000, 10, 6), (1000, 3), (1000,))
    """
    _check_task(task)
    max_facts = _validation.positive_int("max_facts", max_facts, "load_babi")
    train, test = _read_task(task, ten_k, only_supporting, data_dir)
    vocabulary, index, shapes = _vocabulary_and_shapes(train, max_facts)
    return (
        _encode(train, index, *shapes),
        _encode(test, index, *shapes),
        vocabulary,
    )


def load_babi_joint(
    tasks=None,
    ten_k=False,
    max_facts=50,
    only_supporting=False,
    data_dir=None,
):
    """Loads several bAbI tasks as one dataset, for joint training.

    The tasks share one vocabulary (from all their training splits) and
    one padded shape, so that a single model can be trained on all of them
    at once, the "joint" setting of MemN2N and the DNC. Every sample
    carries the number of its task, so that test results can be split by
    task. Parsing, vocabulary and padding follow `load_babi`.

    Args:
        tasks: the task numbers (1 to 20), in order. Defaults to all 20.
        ten_k: use the 10,000-question training splits (`en-10k`).
        max_facts: keep at most this many of the most recent facts per
            story. Defaults to 50, as in MemN2N.
        only_supporting: keep only the supporting facts of each question.
        data_dir: optional folder that holds `babi/...`.

    Returns:
        `(train, test, vocabulary)`: `train` and `test` are tuples
        `(stories, queries, answers, task_ids)` of int32 arrays of shapes
        `(samples, facts, words)` (`facts` as in `load_babi`),
        `(samples, query_words)`, `(samples,)` and `(samples,)`, the samples
        of the tasks one after the other in the order of `tasks`;
        `vocabulary` is the list of words by id.

    Raises:
        ValueError: for an empty `tasks`, a task outside 1-20, a repeated
            task or a non-positive `max_facts`.
        FileNotFoundError: if the files are not found and cannot be
            downloaded.

    Example:

    >>> from keras_memattn.datasets import load_babi_joint
    >>> train, test, vocab = load_babi_joint(tasks=[1, 2])
    >>> stories, queries, answers, task_ids = train
    >>> stories.shape[0], sorted(set(task_ids.tolist()))
    (2000, [1, 2])
    """
    if tasks is not None and (
        isinstance(tasks, (str, bytes)) or not hasattr(tasks, "__iter__")
    ):
        raise ValueError(
            "`tasks` must be a list of task numbers from 1 to 20, e.g. "
            f"[1, 2]. Received: tasks={tasks!r}"
        )
    tasks = list(TASK_NAMES) if tasks is None else list(tasks)
    if not tasks:
        raise ValueError(
            "`tasks` must name at least one task from 1 to 20. "
            f"Received: tasks={tasks!r}"
        )
    if not all(_is_task(task) for task in tasks):
        raise ValueError(
            f"`tasks` must be integers from 1 to 20. Received: tasks={tasks!r}"
        )
    tasks = [int(task) for task in tasks]
    if len(set(tasks)) != len(tasks):
        raise ValueError(
            f"`tasks` must not repeat a task. Received: tasks={tasks!r}"
        )
    max_facts = _validation.positive_int(
        "max_facts", max_facts, "load_babi_joint"
    )
    splits = {"train": [], "test": []}
    task_ids = {"train": [], "test": []}
    for task in tasks:
        train, test = _read_task(task, ten_k, only_supporting, data_dir)
        for split, samples in (("train", train), ("test", test)):
            splits[split].extend(samples)
            task_ids[split].extend([task] * len(samples))
    vocabulary, index, shapes = _vocabulary_and_shapes(
        splits["train"], max_facts
    )
    result = []
    for split in ("train", "test"):
        encoded = _encode(splits[split], index, *shapes)
        result.append(encoded + (np.asarray(task_ids[split], "int32"),))
    return result[0], result[1], vocabulary


def _is_task(task):
    return (
        not isinstance(task, bool)
        and isinstance(task, (int, np.integer))
        and int(task) in TASK_NAMES
    )


def _check_task(task):
    if not _is_task(task):
        raise ValueError(
            f"`task` must be an integer from 1 to 20. Received: task={task!r}"
        )


def _read_task(task, ten_k, only_supporting, data_dir):
    for name, value in (("ten_k", ten_k), ("only_supporting", only_supporting)):
        if not isinstance(value, (bool, np.bool_)):
            raise ValueError(
                f"`{name}` must be True or False. Received: {name}={value!r}"
            )
    folder = "en-10k" if ten_k else "en"
    splits = []
    for split in ("train", "test"):
        relative = os.path.join(
            "babi", folder, f"qa{task}_{TASK_NAMES[task]}_{split}.txt"
        )
        path = find_file(relative, data_dir=data_dir, download=_download)
        splits.append(list(_parse(path, only_supporting)))
    return splits


def _vocabulary_and_shapes(train, max_facts):
    """The sorted training vocabulary, its index and the padded shape."""
    words = set()
    for facts, question, answer in train:
        for fact in facts:
            words.update(fact)
        words.update(question)
        words.add(answer)
    vocabulary = [PAD, UNKNOWN] + sorted(words)
    index = {w: i for i, w in enumerate(vocabulary)}

    facts_len = max((len(f) for facts, _, _ in train for f in facts), default=1)
    query_len = max(len(q) for _, q, _ in train)
    story_len = min(max_facts, max(len(facts) for facts, _, _ in train))
    return vocabulary, index, (story_len, facts_len, query_len)
