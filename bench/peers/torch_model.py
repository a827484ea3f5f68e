"""The zoo's models in PyTorch, trained the way rakam trains them (same
architecture, optimiser, learning rate, batch size, pixels/255). Prints one
JSON line in the fields of rakam_model.go.

usage: torch_model.py MNIST_DIR MODEL EPOCHS THREADS [BATCH]
"""
import json
import resource
import sys
import time

import numpy as np
import torch
from torch import nn

import mnist_np


def build(name):
    mlp = lambda *layers: nn.Sequential(nn.Flatten(), *layers)
    if name == "baseline-adam" or name == "baseline-sgd":
        return mlp(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    if name == "dropout":
        return mlp(nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))
    if name == "batchnorm":
        return mlp(nn.Linear(784, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Linear(128, 10))
    if name == "advanced":
        return mlp(nn.Linear(784, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Dropout(0.2),
                   nn.Linear(128, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Dropout(0.2), nn.Linear(64, 10))
    if name == "cnn":
        return nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 3 * 3, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Dropout(0.25),
            nn.Linear(128, 10))
    raise SystemExit("unknown model " + name)


def main():
    d, name, epochs, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    batch = int(sys.argv[5]) if len(sys.argv) > 5 else 128
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    (xtr, ytr), _, (xte, yte) = mnist_np.load(d)
    shape = (-1, 1, 28, 28) if name == "cnn" else (-1, 784)
    model = build(name)
    opt = torch.optim.SGD(model.parameters(), lr=0.01) if name == "baseline-sgd" else torch.optim.Adam(model.parameters(), lr=1e-3)
    lossf = nn.CrossEntropyLoss()
    xtr_t = torch.from_numpy(np.array(xtr))
    ytr_t = torch.from_numpy(ytr.astype(np.int64))
    n = len(xtr)
    secs = []
    g = torch.Generator().manual_seed(1)
    for _ in range(epochs):
        model.train()
        start = time.perf_counter()
        order = torch.randperm(n, generator=g)
        for lo in range(0, n, batch):
            idx = order[lo:lo + batch]
            x = (xtr_t[idx].float() / 255).reshape(shape)  # normalised per batch, as rakam does
            opt.zero_grad(set_to_none=True)
            loss = lossf(model(x), ytr_t[idx])
            loss.backward()
            opt.step()
        secs.append(time.perf_counter() - start)
    model.eval()
    xte_t = torch.from_numpy(np.array(xte))  # a writable copy
    best, correct = None, 0
    with torch.no_grad():
        for _ in range(3):
            start = time.perf_counter()
            preds = []
            for lo in range(0, len(xte), 1000):
                x = (xte_t[lo:lo + 1000].float() / 255).reshape(shape)
                preds.append(torch.softmax(model(x), dim=1).argmax(dim=1))
            s = time.perf_counter() - start
            best = s if best is None else min(best, s)
        correct = int((torch.cat(preds).numpy() == yte).sum())
    print(json.dumps({
        "peer": "pytorch " + torch.__version__, "model": name, "threads": threads, "batch": batch, "epochs": epochs,
        "seconds_per_epoch": secs, "train_images_per_second": n * epochs / sum(secs),
        "infer_images_per_second": len(xte) / best,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "test_accuracy": correct / len(xte),
    }))


if __name__ == "__main__":
    main()
