"""Every script in `examples/` runs end to end with a tiny budget.

Each runs as `python examples/<name>.py ...` in a child process, as the
docs show, with a budget of seconds (a few steps, one epoch, small
subsets) and must exit 0 and print its metric. The scripts only wire the
package's public API together, whose layers and models are tested on every
backend, so they run on the PyTorch leg of the suite only: it is the
fastest of the three and keeps the suite's time in budget.
"""

import os
import pathlib
import subprocess
import sys

import keras
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "torch",
    reason="the examples are smoke-run on the PyTorch leg only (time); "
    "their layers and models are tested on every backend",
)

TINY_NTM = [
    "--steps", "2", "--batch-size", "4", "--units", "8",
    "--memory-size", "8", "--memory-width", "4", "--log-every", "1",
]  # fmt: skip

# name -> (arguments, text the output must contain)
CASES = {
    "adding_problem": (
        ["--length", "10", "--units", "4", "--steps", "2",
         "--batch-size", "4", "--eval-sequences", "8", "--log-every", "1"],
        "MSE",
    ),
    "copy_task": (
        TINY_NTM + ["--max-length", "3", "--eval-lengths", "3",
                    "--eval-sequences", "4"],
        "bits",
    ),
    "associative_recall": (
        TINY_NTM + ["--max-items", "3", "--eval-items", "3",
                    "--eval-episodes", "4"],
        "bits",
    ),
    "babi": (["--tasks", "1", "--epochs", "1"], "mean"),
    "sentiment_sst2": (
        ["--epochs", "1", "--max-train", "64", "--units", "8",
         "--embedding-dim", "8"],
        "accuracy",
    ),
    "sentiment_imdb": (
        ["--epochs", "1", "--max-train", "64", "--max-test", "64",
         "--units", "8", "--embedding-dim", "8", "--sequence-length", "32"],
        "accuracy",
    ),
    "text_classification_trec": (
        ["--epochs", "1", "--max-train", "200", "--units", "8",
         "--embedding-dim", "8"],
        "accuracy",
    ),
    "text_classification_subj": (
        ["--epochs", "1", "--max-train", "200", "--units", "8",
         "--embedding-dim", "8"],
        "accuracy",
    ),
    "attention_maps": (
        ["--epochs", "1", "--max-train", "200", "--examples", "2"],
        "accuracy",
    ),
}  # fmt: skip


# Scripts that need files made by another step, run by the tests named.
RUN_ELSEWHERE = {
    # Needs a converted .tflite file and its tokenizer.
    "tflite_app": "tests/export/test_tokenizer.py",
}


def test_every_example_has_a_case():
    scripts = {p.stem for p in EXAMPLES.glob("*.py")}
    scripts = {name for name in scripts if not name.startswith("_")}
    assert scripts == set(CASES) | set(RUN_ELSEWHERE)
    for name, test_file in RUN_ELSEWHERE.items():
        assert f"{name}.py" in (ROOT / test_file).read_text()


@pytest.mark.parametrize("name", sorted(CASES))
def test_example_runs(name, tmp_path):
    args, expected = CASES[name]
    if name in ("adding_problem", "copy_task", "associative_recall"):
        args = args + ["--output", str(tmp_path / "result.json")]
    if name == "attention_maps":
        args = args + ["--out-dir", str(tmp_path)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert expected in result.stdout, result.stdout[-3000:]
    if name == "attention_maps":
        assert sorted(p.name for p in tmp_path.glob("*.png")) == [
            "attention_pooling_sst2.png",
            "self_attention_sst2.png",
        ]
