#!/usr/bin/env python3
# bench-torch-ddp.py: PyTorch DistributedDataParallel (gloo) on the MLP 784-512-256-10 of
# `ringtrain bench train --ranks 2`, one thread per rank, for the side-by-side figure in
# docs/benchmarks.md. Like the ringtrain benchmark, each repetition times 1 rank alone (the
# other waiting), then both ranks together; samples/s are global, medians over repetitions;
# efficiency is the median over repetitions of 2-rank samples/s ÷ (2 × the same repetition's
# 1-rank samples/s). Data loading and warm-up are excluded.
#   python3 -m pip install torch --index-url https://download.pytorch.org/whl/cpu   # once (CPU build; its dependencies
#   from PyPI); not needed by the tests or the demo
#   python3 scripts/bench-torch-ddp.py [--ranks 2] [--batch 128] [--steps 200] [--repeats 5]
import argparse, json, os, socket, statistics, sys, time

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel

from fashion_idx import idx


def model():
    torch.manual_seed(1)
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rank_main(rank, a, port, results):
    torch.set_num_threads(1)
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=a.ranks)
    x = torch.from_numpy(idx(a.data + "/train-images-idx3-ubyte.gz").astype(np.float32).reshape(-1, 784) / 255)
    y = torch.from_numpy(idx(a.data + "/train-labels-idx1-ubyte.gz").astype(np.int64))
    loss_fn = nn.CrossEntropyLoss()
    # Rank 0's single-process model (the baseline) and every rank's DDP replica.
    alone = model()
    alone_opt = torch.optim.SGD(alone.parameters(), lr=0.05, momentum=0.9)
    ddp = DistributedDataParallel(model())
    ddp_opt = torch.optim.SGD(ddp.parameters(), lr=0.05, momentum=0.9)
    generator = torch.Generator().manual_seed(rank)
    order = torch.randperm(len(x), generator=generator)
    position = 0

    def step(net, opt):
        nonlocal position
        if position + a.batch > len(x):
            position = 0
        i = order[position:position + a.batch]
        position += a.batch
        opt.zero_grad(set_to_none=True)
        loss_fn(net(x[i]), y[i]).backward()
        opt.step()

    if rank == 0:
        step(alone, alone_opt)   # warm-up
    step(ddp, ddp_opt)
    one, together = [], []
    for _ in range(a.repeats):
        dist.barrier()
        if rank == 0:
            start = time.perf_counter()
            for _ in range(a.steps):
                step(alone, alone_opt)
            one.append(a.steps * a.batch / (time.perf_counter() - start))
        dist.barrier()
        start = time.perf_counter()
        for _ in range(a.steps):
            step(ddp, ddp_opt)
        seconds = torch.tensor([time.perf_counter() - start], dtype=torch.float64)
        dist.all_reduce(seconds, op=dist.ReduceOp.MAX)
        together.append(a.steps * a.batch * a.ranks / seconds.item())
    if rank == 0:
        results.put({"one": one, "together": together})
        results.close()
        results.join_thread()   # the figures are out before the teardown below, which gloo sometimes aborts in
    dist.destroy_process_group()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--ranks", type=int, default=2)
    p.add_argument("--batch", type=int, default=128, help="samples per rank per step")
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--repeats", type=int, default=5)
    a = p.parse_args()
    context = mp.get_context("spawn")
    results = context.Queue()
    try:
        mp.spawn(rank_main, args=(a, free_port(), results), nprocs=a.ranks, join=True)
    except mp.ProcessExitedException as error:
        # A rank that ends abnormally after rank 0 sent the figures (gloo's teardown aborts now and
        # then: "terminate called without an active exception") spoils no measurement.
        if results.empty():
            raise
        print(f"note: {error} after the measurement", file=sys.stderr)
    r = results.get()
    efficiency = statistics.median(t / (a.ranks * o) for t, o in zip(r["together"], r["one"]))
    print(json.dumps({"model": "torch ddp mlp 784-512-256-10", "backend": "gloo", "ranks": a.ranks, "batch": a.batch,
                      "threads_per_rank": 1, "samples_per_s": statistics.median(r["together"]),
                      "one_rank_samples_per_s": statistics.median(r["one"]), "efficiency": efficiency,
                      "torch": torch.__version__}))


if __name__ == "__main__":
    main()
