#!/usr/bin/env python3
"""A PyTorch DistributedDataParallel program for a distributed program trial (`program_ranks`).

ringtrain starts one copy per rank under mpirun or srun, each told RANK, WORLD_SIZE, LOCAL_RANK,
LOCAL_WORLD_SIZE, MASTER_ADDR and MASTER_PORT, so `init_process_group` reads its rendezvous from
the environment as under torchrun. Every rank gets the same `--name=value` parameters. Rank 0
prints one JSON line per epoch (`epoch`, `val_loss`: progress reports for early termination) and
the final metric; the other ranks' output goes to the trial folder's ranks/rank-N.log.

Sweep (CPU, gloo; see README "Distributed program trials"):

    sweep:
      method: bayes
      command: [python3, pytorch-ddp-trial.py, "${args}"]
      program_ranks: 2
      metric: {name: val_loss, goal: minimize}
      run_cap: 12
      parameters:
        lr: {distribution: log_uniform_values, min: 0.001, max: 0.3}
        hidden: {values: [32, 128]}

The data is synthetic (a fixed random teacher network), so the example needs nothing but torch.
"""
import json
import os
import sys

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler


def parameters():
    """--name=value arguments, as ringtrain's ${args} passes them."""
    values = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--") and "=" in a)
    return float(values.get("lr", 0.05)), int(values.get("hidden", 64)), int(values.get("epochs", 5))


def synthetic_data(samples=4096, features=20, seed=0):
    """Inputs and the outputs of a fixed random teacher, the same on every rank."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(samples, features, generator=generator)
    teacher = torch.nn.Sequential(torch.nn.Linear(features, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
    for p in teacher.parameters():
        p.data = torch.randn(p.shape, generator=generator)
    with torch.no_grad():
        y = teacher(x) + 0.1 * torch.randn(samples, 1, generator=generator)
    split = samples * 4 // 5
    return TensorDataset(x[:split], y[:split]), TensorDataset(x[split:], y[split:])


def main():
    lr, hidden, epochs = parameters()
    dist.init_process_group("gloo")   # MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE from the environment
    rank = dist.get_rank()
    torch.manual_seed(1)   # the same initial weights everywhere (DDP broadcasts rank 0's anyway)
    train, validation = synthetic_data()
    sampler = DistributedSampler(train, shuffle=True, seed=2)
    loader = DataLoader(train, batch_size=64, sampler=sampler)
    model = DistributedDataParallel(torch.nn.Sequential(torch.nn.Linear(20, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1)))
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    loss_function = torch.nn.MSELoss()
    val_loss = float("nan")
    for epoch in range(1, epochs + 1):
        sampler.set_epoch(epoch)
        model.train()
        for x, y in loader:
            optimizer.zero_grad()
            loss_function(model(x), y).backward()   # DDP averages the gradients over the ranks
            optimizer.step()
        model.eval()
        with torch.no_grad():
            x, y = validation.tensors
            val_loss = loss_function(model.module(x), y).item()
        if rank == 0:
            print(json.dumps({"epoch": epoch, "val_loss": val_loss}), flush=True)
    if rank == 0:
        print(json.dumps({"val_loss": val_loss, "world_size": dist.get_world_size(),
                          "local_world_size": int(os.environ["LOCAL_WORLD_SIZE"])}), flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
