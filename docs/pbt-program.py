#!/usr/bin/env python3
"""A program that takes part in ringtrain's population-based training (docs/pbt-program.md).

It "trains" a toy model — gradient descent on a noisy quadratic, x ← x − lr · f'(x) — so it runs
anywhere in a blink; a real program keeps its framework's checkpoint the same way. Each run trains
one generation: it continues from the state in $RINGTRAIN_LOAD_DIR (none in the first generation),
trains through epoch $RINGTRAIN_STOP_AFTER, printing one JSON line per epoch, saves its state in
$RINGTRAIN_SAVE_DIR and exits 0. Its hyperparameters arrive as --name=value arguments, and may
differ from the ones the loaded state was trained with: that is the point.
"""
import argparse
import json
import math
import os

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, required=True)
parser.add_argument("--momentum", type=float, default=0.0)
args = parser.parse_args()   # unknown flags are refused: that is why the folders come in the environment

stop_after = int(os.environ["RINGTRAIN_STOP_AFTER"])
save_dir = os.environ["RINGTRAIN_SAVE_DIR"]
load_dir = os.environ.get("RINGTRAIN_LOAD_DIR")

state = {"epoch": 0, "x": 5.0, "velocity": 0.0, "trained_by": []}
if load_dir:
    with open(os.path.join(load_dir, "state.json")) as f:
        state = json.load(f)


def loss(x, epoch):
    # A quadratic whose bottom drifts a little with the epoch: a good rate early is not a good rate late.
    return (x - 1.0 - 0.1 * math.sin(epoch)) ** 2


for epoch in range(state["epoch"] + 1, stop_after + 1):
    for step in range(20):
        gradient = 2.0 * (state["x"] - 1.0 - 0.1 * math.sin(epoch))
        state["velocity"] = args.momentum * state["velocity"] - args.lr * gradient
        state["x"] += state["velocity"]
    state["epoch"] = epoch
    print(json.dumps({"epoch": epoch, "loss": loss(state["x"], epoch)}), flush=True)

state["trained_by"].append(os.environ.get("RINGTRAIN_TRIAL_DIR", "?"))
with open(os.path.join(save_dir, "state.json"), "w") as f:
    json.dump(state, f)
if stop_after == int(os.environ["RINGTRAIN_EPOCHS"]):
    print(json.dumps({"loss": loss(state["x"], stop_after)}), flush=True)   # the final metric
