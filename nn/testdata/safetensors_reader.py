"""A safetensors reader with nothing but the Python standard library and
NumPy, written from the format's description in docs/nn.md (not from rakam's
code). rakam's tests use it as an outside check on model files (nn) and
checkpoint files (train)."""
import json
import struct

import numpy as np


def read(path):
    """Returns ({name: float32 array}, {key: value}) of the file at path."""
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    header = json.loads(b[8:8 + n])
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, v in header.items():
        if v["dtype"] != "F32":
            raise SystemExit("tensor %s: dtype %s" % (name, v["dtype"]))
        begin, end = v["data_offsets"]
        tensors[name] = np.frombuffer(b[8 + n + begin: 8 + n + end], "<f4").reshape(v["shape"])
    if 8 + n + sum(t.nbytes for t in tensors.values()) != len(b):
        raise SystemExit("the tensors do not fill the file")
    return tensors, meta
