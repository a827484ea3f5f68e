"""Loads MNIST from the IDX files (gzip or raw) into NumPy arrays, split 55000/5000/10000."""
import gzip
import os
import struct

import numpy as np


def _read(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic, n = struct.unpack(">II", data[:8])
    if magic == 0x803:
        rows, cols = struct.unpack(">II", data[8:16])
        return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(n, rows * cols)
    return np.frombuffer(data, dtype=np.uint8, offset=8)


def load(dirname):
    def find(base):
        for name in (base + ".gz", base):
            p = os.path.join(dirname, name)
            if os.path.exists(p):
                return p
        raise FileNotFoundError(base)

    xtr = _read(find("train-images-idx3-ubyte"))
    ytr = _read(find("train-labels-idx1-ubyte"))
    xte = _read(find("t10k-images-idx3-ubyte"))
    yte = _read(find("t10k-labels-idx1-ubyte"))
    perm = np.random.RandomState(1).permutation(len(xtr))
    val, tr = perm[:5000], perm[5000:]
    return (xtr[tr], ytr[tr]), (xtr[val], ytr[val]), (xte, yte)
