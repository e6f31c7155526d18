"""Export scikit-learn's 8x8 digits to the CSV and split files PCCore ships.

Run once (the outputs are committed):
    python3 -m venv .venv && .venv/bin/pip install numpy scikit-learn
    .venv/bin/python Data/digits/export_digits.py

Writes Sources/PCCore/Resources/digits.csv (header pixel0..pixel63,label; integer pixels 0-16)
and Sources/PCCore/Resources/digits_split.csv (one line "train,<indices>" and one "test,<indices>",
row indices into digits.csv, from train_test_split(test_size=0.2, random_state=0): 1437 / 360).
Swift cannot reproduce NumPy's shuffle, so the indices are committed rather than recomputed.

Data: UCI "Optical Recognition of Handwritten Digits" (Alpaydin & Kaynak, 1998), CC BY 4.0,
as bundled in scikit-learn (sklearn.datasets.load_digits).
"""
import os
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "..", "..", "Sources", "PCCore", "Resources")
digits = load_digits()
x = digits.data.astype(np.int64)
y = digits.target.astype(np.int64)
assert x.shape == (1797, 64) and x.min() >= 0 and x.max() <= 16

with open(os.path.join(out, "digits.csv"), "w") as f:
    f.write(",".join([f"pixel{i}" for i in range(64)] + ["label"]) + "\n")
    for row, label in zip(x, y):
        f.write(",".join(str(v) for v in row) + f",{label}\n")

indices = np.arange(len(y))
train, test = train_test_split(indices, test_size=0.2, random_state=0)
assert len(train) == 1437 and len(test) == 360
with open(os.path.join(out, "digits_split.csv"), "w") as f:
    f.write("train," + ",".join(str(i) for i in train) + "\n")
    f.write("test," + ",".join(str(i) for i in test) + "\n")
print(f"wrote {len(y)} samples, split {len(train)}/{len(test)}")
