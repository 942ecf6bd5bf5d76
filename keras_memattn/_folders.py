"""Output folders that a failed run removes again."""

import os


def make_folders(path):
    """`os.makedirs(path, exist_ok=True)`; returns the folders it created,
    deepest first, for `remove_empty` after a failure."""
    created = []
    folder = os.path.abspath(path)
    while not os.path.exists(folder):
        created.append(folder)
        folder = os.path.dirname(folder)
    os.makedirs(path, exist_ok=True)
    return created


def remove_empty(folders):
    """Removes `folders` in order, stopping at the first that is not empty."""
    for folder in folders:
        try:
            os.rmdir(folder)
        except OSError:
            return
