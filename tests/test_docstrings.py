"""The `>>>` examples in the package's docstrings run and print what they say.

Runs on every backend, like the rest of the suite; examples that read
datasets find them through `$KERAS_MEMATTN_DATA` (set in `conftest.py`).
"""

import doctest
import importlib
import pkgutil

import pytest

import keras_memattn


def _modules_with_examples():
    names = []
    for info in pkgutil.walk_packages(
        keras_memattn.__path__, prefix="keras_memattn."
    ):
        module = importlib.import_module(info.name)
        finder = doctest.DocTestFinder()
        if any(test.examples for test in finder.find(module)):
            names.append(info.name)
    return names


MODULES = _modules_with_examples()


def test_examples_were_found():
    # Guards against the finder silently collecting nothing.
    assert "keras_memattn.ops.masking" in MODULES
    assert len(MODULES) >= 8


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(
        module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    assert result.failed == 0, f"{result.failed} example(s) failed in {name}"
