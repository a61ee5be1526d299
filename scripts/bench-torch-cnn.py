#!/usr/bin/env python3
# bench-torch-cnn.py: PyTorch's training throughput on the model of configs/fashion-cnn.yaml
# (conv 5×5 16 → ReLU → pool → conv 5×5 32 → ReLU → pool → fc 128 → ReLU → fc 10), one thread,
# for the side-by-side figure in docs/benchmarks.md. Times steps the way `ringtrain bench train`
# does: median samples/s over repetitions, data loading and warm-up excluded.
#   python3 -m pip install torch    # once (CPU build); not needed by the tests or the demo
#   python3 scripts/bench-torch-cnn.py [--batch 128] [--steps 20] [--repeats 5] [--epochs 0]
import argparse, json, statistics, time

import numpy as np
import torch
import torch.nn as nn

from fashion_idx import idx


def model():
    return nn.Sequential(
        nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--epochs", type=int, default=0, help="also train this many epochs and report test accuracy")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    x = torch.from_numpy(idx(a.data + "/train-images-idx3-ubyte.gz").astype(np.float32) / 255).unsqueeze(1)
    y = torch.from_numpy(idx(a.data + "/train-labels-idx1-ubyte.gz").astype(np.int64))
    net = model()
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    order = torch.randperm(len(x))
    position = 0

    def step():
        nonlocal position
        if position + a.batch > len(x):
            position = 0
        i = order[position:position + a.batch]
        position += a.batch
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(x[i]), y[i])
        loss.backward()
        opt.step()

    step()  # warm-up
    rates = []
    for _ in range(a.repeats):
        start = time.perf_counter()
        for _ in range(a.steps):
            step()
        rates.append(a.steps * a.batch / (time.perf_counter() - start))
    row = {"model": "torch cnn conv[16, 32] k5 dense[128] relu", "batch": a.batch, "threads": a.threads,
           "samples_per_s": statistics.median(rates), "torch": torch.__version__,
           "mkldnn": torch.backends.mkldnn.is_available()}
    if a.epochs:
        net = model()
        opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
        for _ in range(a.epochs):
            perm = torch.randperm(len(x))
            for s in range(0, len(x) - a.batch + 1, a.batch):
                i = perm[s:s + a.batch]
                opt.zero_grad(set_to_none=True)
                loss_fn(net(x[i]), y[i]).backward()
                opt.step()
        tx = torch.from_numpy(idx(a.data + "/t10k-images-idx3-ubyte.gz").astype(np.float32) / 255).unsqueeze(1)
        ty = torch.from_numpy(idx(a.data + "/t10k-labels-idx1-ubyte.gz").astype(np.int64))
        with torch.no_grad():
            row["test_acc"] = (net(tx).argmax(1) == ty).float().mean().item()
    print(json.dumps(row))


if __name__ == "__main__":
    main()
