"""Reads image summaries back from TensorBoard event files."""

import glob
import os

import numpy as np


def read_images(log_dir):
    """Returns `{tag: {step: [decoded uint8 images]}}` from `log_dir`."""
    import tensorflow as tf

    found = {}
    for path in glob.glob(os.path.join(log_dir, "events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                if value.metadata.plugin_data.plugin_name != "images":
                    continue
                # Image summaries hold [width, height, png, png, ...].
                encoded = value.tensor.string_val[2:]
                images = [
                    np.asarray(tf.io.decode_png(png).numpy()) for png in encoded
                ]
                found.setdefault(value.tag, {})[event.step] = images
    return found
