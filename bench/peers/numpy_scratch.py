"""Study 1's network in NumPy, as the seed wrote it: 784-128-10, ReLU, softmax,
mini-batch gradient descent. Prints one JSON line in the fields of rakam_model.go.

usage: numpy_scratch.py MNIST_DIR EPOCHS BATCH
"""
import json
import resource
import sys
import time

import numpy as np

import mnist_np


def main():
    d, epochs, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    (xtr, ytr), _, (xte, yte) = mnist_np.load(d)
    rng = np.random.RandomState(1)
    w1 = (rng.randn(784, 128) * np.sqrt(2 / 784)).astype(np.float32)
    b1 = np.zeros(128, np.float32)
    w2 = (rng.randn(128, 10) * np.sqrt(2 / 128)).astype(np.float32)
    b2 = np.zeros(10, np.float32)
    lr = np.float32(0.1)
    secs = []
    n = len(xtr)
    for _ in range(epochs):
        start = time.perf_counter()
        order = rng.permutation(n)
        for lo in range(0, n, batch):
            idx = order[lo:lo + batch]
            x = xtr[idx].astype(np.float32) / np.float32(255)  # normalised per batch, as rakam does
            y = ytr[idx]
            b = len(idx)
            z1 = x @ w1 + b1
            a1 = np.maximum(z1, 0)
            z2 = a1 @ w2 + b2
            z2 -= z2.max(axis=1, keepdims=True)
            p = np.exp(z2)
            p /= p.sum(axis=1, keepdims=True)
            dz2 = p
            dz2[np.arange(b), y] -= 1
            dz2 /= np.float32(b)
            dw2 = a1.T @ dz2
            db2 = dz2.sum(axis=0)
            da1 = dz2 @ w2.T
            da1[z1 <= 0] = 0
            dw1 = x.T @ da1
            db1 = da1.sum(axis=0)
            w1 -= lr * dw1
            b1 -= lr * db1
            w2 -= lr * dw2
            b2 -= lr * db2
        secs.append(time.perf_counter() - start)
    best = None
    for _ in range(3):
        start = time.perf_counter()
        x = xte.astype(np.float32) / np.float32(255)
        logits = np.maximum(x @ w1 + b1, 0) @ w2 + b2
        s = time.perf_counter() - start
        best = s if best is None else min(best, s)
    acc = float((logits.argmax(axis=1) == yte).mean())
    print(json.dumps({
        "peer": "numpy " + np.__version__, "model": "scratch", "batch": batch, "epochs": epochs,
        "seconds_per_epoch": secs, "train_images_per_second": n * epochs / sum(secs),
        "infer_images_per_second": len(xte) / best,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "test_accuracy": acc,
    }))


if __name__ == "__main__":
    main()
