"""The fastest published MNIST recipe, in PyTorch on the CPU, as issue 9
describes it: conv 5x5x24, max-pool 2, ReLU, conv 3x3x32, max-pool 2, ReLU,
fc 256, ReLU, fc 10; Adam (lr 0.01, betas 0.7 and 0.9) under a one-cycle
schedule peaking at 0.01 without momentum cycling; batch 256; inputs
normalised by MNIST's mean and standard deviation; no shuffling. It trains
on the same 55,000 images as bench/peers' other scripts (mnist_np's split)
and prints, per seed, one JSON line: training seconds (the epochs' loops
only) and test accuracy.

usage: torch_fast.py MNIST_DIR THREADS [SEEDS [EPOCHS]]   (SEEDS like 1,2,3,4,5)
"""
import json
import sys
import time

import numpy as np
import torch
from torch import nn

import mnist_np

MEAN, STD = 0.1307, 0.3081


def build():
    return nn.Sequential(
        nn.Conv2d(1, 24, 5), nn.MaxPool2d(2), nn.ReLU(),
        nn.Conv2d(24, 32, 3), nn.MaxPool2d(2), nn.ReLU(),
        nn.Flatten(), nn.Linear(32 * 5 * 5, 256), nn.ReLU(), nn.Linear(256, 10))


def main():
    d, threads = sys.argv[1], int(sys.argv[2])
    seeds = [int(s) for s in (sys.argv[3] if len(sys.argv) > 3 else "1,2,3,4,5").split(",")]
    epochs = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    batch = 256
    torch.set_num_threads(threads)
    (xtr, ytr), _, (xte, yte) = mnist_np.load(d)
    xtr_t = ((torch.from_numpy(np.array(xtr)).float() / 255 - MEAN) / STD).reshape(-1, 1, 28, 28)
    ytr_t = torch.from_numpy(ytr.astype(np.int64))
    xte_t = ((torch.from_numpy(np.array(xte)).float() / 255 - MEAN) / STD).reshape(-1, 1, 28, 28)
    n = len(xtr_t)
    steps = epochs * ((n + batch - 1) // batch)
    for seed in seeds:
        torch.manual_seed(seed)
        model = build()
        opt = torch.optim.Adam(model.parameters(), lr=0.01, betas=(0.7, 0.9))
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.01, total_steps=steps, cycle_momentum=False)
        lossf = nn.CrossEntropyLoss()
        model.train()
        start = time.perf_counter()
        for _ in range(epochs):
            for lo in range(0, n, batch):  # no shuffling
                opt.zero_grad(set_to_none=True)
                loss = lossf(model(xtr_t[lo:lo + batch]), ytr_t[lo:lo + batch])
                loss.backward()
                opt.step()
                sched.step()
        secs = time.perf_counter() - start
        model.eval()
        with torch.no_grad():
            pred = torch.cat([model(xte_t[lo:lo + 1000]).argmax(1) for lo in range(0, len(xte_t), 1000)])
        print(json.dumps({
            "peer": "pytorch " + torch.__version__, "model": "fast-recipe", "seed": seed, "threads": threads,
            "batch": batch, "epochs": epochs, "train_seconds": secs,
            "test_accuracy": float((pred.numpy() == yte).mean()),
        }), flush=True)


if __name__ == "__main__":
    main()
