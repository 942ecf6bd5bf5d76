"""Shared timing machinery for the benchmark scripts.

Every benchmark runs a candidate and its baseline in the same process, on the
active backend (`KERAS_BACKEND`), times each after warm-up and reports the
median of repeated runs, then writes:

* `benchmarks/results/<name>-<backend>.json`: the raw rows, the machine and
  the versions;
* `docs/benchmarks/<name>-<backend>.md`: a markdown table that the docs pages
  include.

Ratios are candidate time / baseline time measured in the same run; numbers
from different runs or machines are not compared.
"""

import json
import os
import platform

import keras

from keras_memattn import _bench

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS_DIR = os.path.join(ROOT, "benchmarks", "results")
DOCS_DIR = os.path.join(ROOT, "docs", "benchmarks")


# The same timer and rows as `memattn bench`.
median_ms = _bench.median_ms
interleaved_ms = _bench.interleaved_ms
timing_fields = _bench.timing_fields


def time_train_step(model, x, y, warmup=3, repeats=10, loss="mse"):
    """Median milliseconds of one `train_on_batch` step (Adam)."""
    model.compile(optimizer="adam", loss=loss)
    return median_ms(
        lambda: model.train_on_batch(x, y), warmup=warmup, repeats=repeats
    )


def time_inference(model, x, warmup=3, repeats=10):
    """Median milliseconds of one `predict_on_batch` call."""
    return median_ms(
        lambda: model.predict_on_batch(x), warmup=warmup, repeats=repeats
    )


def environment():
    """Machine and versions, stored with every result file."""
    info = {
        "backend": keras.backend.backend(),
        "keras": keras.version(),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "processor": _cpu_name(),
        "cpus": os.cpu_count(),
        "accelerator": _accelerator(),
    }
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        info["tensorflow"] = tf.__version__
    elif backend == "jax":
        import jax

        info["jax"] = jax.__version__
    elif backend == "torch":
        import torch

        info["torch"] = torch.__version__
    return info


def _accelerator():
    """Name of the first GPU the backend computes on, or None."""
    backend = keras.backend.backend()
    try:
        if backend == "jax":
            import jax

            device = jax.devices()[0]
            return None if device.platform == "cpu" else device.device_kind
        if backend == "torch":
            import torch

            if torch.cuda.is_available():
                return torch.cuda.get_device_name(0)
            return None
        if backend == "tensorflow":
            import tensorflow as tf

            gpus = tf.config.list_physical_devices("GPU")
            if gpus:
                details = tf.config.experimental.get_device_details(gpus[0])
                return details.get("device_name", "GPU")
    except Exception:  # noqa: BLE001 - only a label in the report.
        return None
    return None


def _cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def write_report(name, rows, columns, title, notes=None, command=None):
    """Writes the JSON results and the markdown table for the docs.

    Args:
        name: report name, e.g. "recurrent".
        rows: list of dicts.
        columns: list of `(key, header, format)`; `format` is a format spec
            such as ".1f", or None for `str`.
        title: a line shown above the table.
        notes: optional list of lines shown under the table.
        command: the command that reproduces the report.

    Returns:
        `(json_path, markdown_path)`.
    """
    backend = keras.backend.backend()
    env = environment()
    os.makedirs(RESULTS_DIR, exist_ok=True)
    os.makedirs(DOCS_DIR, exist_ok=True)
    json_path = os.path.join(RESULTS_DIR, f"{name}-{backend}.json")
    with open(json_path, "w") as f:
        json.dump(
            {"environment": env, "command": command, "rows": rows},
            f,
            indent=2,
        )
    lines = [f"**{title}** ({_env_line(env)})", ""]
    lines.append("| " + " | ".join(h for _, h, _ in columns) + " |")
    lines.append("|" + "---|" * len(columns))
    for row in rows:
        cells = []
        for key, _, fmt in columns:
            value = row.get(key, "")
            if value is None or value == "":
                cells.append("–")
            elif fmt and isinstance(value, (int, float)):
                cells.append(format(value, fmt))
            else:
                cells.append(str(value))
        lines.append("| " + " | ".join(cells) + " |")
    if command:
        lines += ["", f"Reproduce: `{command}`"]
    for note in notes or []:
        lines += ["", note]
    md_path = os.path.join(DOCS_DIR, f"{name}-{backend}.md")
    with open(md_path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return json_path, md_path


def _env_line(env):
    backend = env["backend"]
    version = env.get(backend, "")
    line = (
        f"backend {backend} {version}, keras {env['keras']}, "
        f"{env['cpus']} CPUs {env['processor']}"
    )
    if env.get("accelerator"):
        line += f", GPU {env['accelerator']}"
    return line
