"""Classify raw text with an exported `.tflite` model, as an app would.

What an app on a phone does with the two files that `memattn export` writes
for a text classifier: `model.tflite` and `model.tokenizer.json`. It turns
each text into token ids exactly as the model's `TextVectorizer` did in
training, runs the LiteRT interpreter and prints the most likely class.

This file needs neither Keras nor keras-memattn: only the Python standard
library, NumPy and `ai-edge-litert`. It is the reference to port to the
app's language (Kotlin, Swift, C++); each step is a short loop over
characters, and a test checks it against `TextVectorizer` on random
Unicode text.

    memattn train --task sst2 --encoder wm_lstm --out runs/sst2
    memattn export runs/sst2/model.keras sst2.tflite
    python examples/tflite_app.py sst2.tflite sst2.tokenizer.json \
        "a gripping , beautifully acted film" "a dull , lifeless mess"
"""

import argparse
import json
import unicodedata

import numpy as np

# Apostrophes written as typographic marks, read as "'" between two
# letters or digits (so "don’t" and "don't" are one token).
TYPOGRAPHIC_APOSTROPHES = "\u2019\u02bc"
PAD_ID = 0
OOV_ID = 1
FNV_OFFSET = 2166136261
FNV_PRIME = 16777619


def load_tokenizer(path):
    """The settings written by `keras_memattn.export.save_tokenizer`."""
    with open(path, encoding="utf-8") as f:
        spec = json.load(f)
    if spec.get("format") != "keras-memattn-tokenizer":
        raise ValueError(f"{path} is not a keras-memattn tokenizer file")
    if spec.get("version") != 1:
        raise ValueError(
            f"{path} has format version {spec.get('version')}; this reader "
            "knows version 1"
        )
    # Word -> id; ids 0 (padding) and 1 (unknown word) are not words.
    spec["ids"] = {
        word: i for i, word in enumerate(spec["vocabulary"]) if i > 1
    }
    return spec


def is_word_char(c):
    """A letter or a digit (any script): `str.isalnum`, Unicode's
    categories L*, Nd, Nl and No. The underscore is not one."""
    return c.isalnum()


def is_mark(c):
    """A combining mark (Unicode category M*): part of the word before it."""
    return unicodedata.category(c).startswith("M")


def tokenize(text, lowercase):
    """Splits a text into words and single punctuation marks.

    1. Unicode NFC normalization.
    2. A typographic apostrophe between two word characters becomes "'".
    3. Lower-casing (Unicode full case mapping), if the model did so.
    4. A word starts at a word character and goes on over word characters
       and combining marks; an apostrophe followed by a word character
       continues it ("don't", "rock'n'roll"). Every other character that is
       not whitespace is a token of its own ("?", "!", ","), except the
       underscore, which is dropped like whitespace.
    """
    text = unicodedata.normalize("NFC", text)
    chars = list(text)
    for i in range(1, len(chars) - 1):
        if (
            chars[i] in TYPOGRAPHIC_APOSTROPHES
            and is_word_char(text[i - 1])
            and is_word_char(text[i + 1])
        ):
            chars[i] = "'"
    text = "".join(chars)
    if lowercase:
        text = text.lower()
    tokens = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if is_word_char(c):
            end = i + 1
            while True:
                while end < n and (
                    is_word_char(text[end]) or is_mark(text[end])
                ):
                    end += 1
                if (
                    end + 1 < n
                    and text[end] == "'"
                    and is_word_char(text[end + 1])
                ):
                    end += 2
                    continue
                break
            tokens.append(text[i:end])
            i = end
        else:
            if not (c.isspace() or c == "_"):
                tokens.append(c)
            i += 1
    return tokens


def fnv1a_32(text):
    """32-bit FNV-1a of the UTF-8 bytes of `text`."""
    value = FNV_OFFSET
    for byte in text.encode("utf-8"):
        value = ((value ^ byte) * FNV_PRIME) & 0xFFFFFFFF
    return value


def subword_ids(token, subwords):
    """Hashed character n-grams of "<token>", shortest first, at most
    `max_subwords` of them, as ids 1..buckets (0 is padding)."""
    word = f"<{token}>"
    grams = [
        word[i : i + n]
        for n in range(subwords["min_n"], subwords["max_n"] + 1)
        for i in range(len(word) - n + 1)
    ]
    grams = grams[: subwords["max_subwords"]]
    return [fnv1a_32(g) % subwords["buckets"] + 1 for g in grams]


def encode(texts, spec):
    """Token ids of `texts`: `(len(texts),) + input_shape`, int32.

    Tokens past `sequence_length` are dropped; shorter texts are padded with
    0 at the end. Without subwords each position holds the word id; with
    them, `[..., 0]` is the word id and `[..., 1:]` its n-gram ids.
    """
    ids = np.zeros([len(texts)] + spec["input_shape"], dtype=np.int32)
    subwords = spec["subwords"]
    for row, text in enumerate(texts):
        tokens = tokenize(text, spec["lowercase"])[: spec["sequence_length"]]
        for col, token in enumerate(tokens):
            word = spec["ids"].get(token, OOV_ID)
            if subwords is None:
                ids[row, col] = word
            else:
                grams = subword_ids(token, subwords)
                ids[row, col, 0] = word
                ids[row, col, 1 : 1 + len(grams)] = grams
    return ids


def classify(model_path, spec, texts, num_threads=None):
    """Class probabilities of `texts` from the `.tflite` file, `(n, classes)`.

    The file's batch size is fixed (`memattn export --batch-size`, 1 by
    default): the texts go through in batches of that size, the last one
    padded with empty texts.
    """
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=model_path, num_threads=num_threads)
    interpreter.allocate_tensors()
    (inputs,) = interpreter.get_input_details()
    (outputs,) = interpreter.get_output_details()
    batch = int(inputs["shape"][0])
    ids = encode(texts, spec).astype(inputs["dtype"])
    rows = []
    for start in range(0, len(texts), batch):
        chunk = ids[start : start + batch]
        padded = np.zeros((batch,) + chunk.shape[1:], chunk.dtype)
        padded[: len(chunk)] = chunk
        interpreter.set_tensor(inputs["index"], padded)
        interpreter.invoke()
        rows.append(interpreter.get_tensor(outputs["index"])[: len(chunk)])
    return np.concatenate(rows, axis=0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="the .tflite file")
    parser.add_argument("tokenizer", help="its .tokenizer.json file")
    parser.add_argument("texts", nargs="+", help="texts to classify")
    args = parser.parse_args()
    spec = load_tokenizer(args.tokenizer)
    probabilities = classify(args.model, spec, args.texts)
    names = spec["class_names"] or [
        str(i) for i in range(probabilities.shape[-1])
    ]
    for text, row in zip(args.texts, probabilities):
        best = int(np.argmax(row))
        print(f"{names[best]}\t{row[best]:.3f}\t{text}")


if __name__ == "__main__":
    main()
