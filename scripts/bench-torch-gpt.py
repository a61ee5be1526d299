#!/usr/bin/env python3
# bench-torch-gpt.py: the model of configs/shakespeare-gpt.yaml written in PyTorch with the same
# parameter names, for side-by-side figures: training tokens/s (one thread), a training run's
# validation loss, and proof that a ringtrain model.safetensors loads with load_state_dict.
#   python3 -m pip install torch safetensors    # once (CPU build); not needed by the tests
#   python3 scripts/bench-torch-gpt.py [--text configs/data/shakespeare.txt] [--steps 10] [--repeats 5]
#   python3 scripts/bench-torch-gpt.py --train 2500 [--constant-lr]   # validation loss reached
#   python3 scripts/bench-torch-gpt.py --load RUN_DIR/checkpoints/NAME/model.safetensors
import argparse, json, math, statistics, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    """Pre-LayerNorm transformer block: causal self-attention, then a GELU MLP, each residual."""

    def __init__(self, d, heads, mlp):
        super().__init__()
        self.heads = heads
        self.ln1, self.qkv, self.proj = nn.LayerNorm(d), nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.ln2, self.fc, self.out = nn.LayerNorm(d), nn.Linear(d, mlp), nn.Linear(mlp, d)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        q, k, v = (z.view(b, t, self.heads, d // self.heads).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(b, t, d)
        x = x + self.proj(y)
        return x + self.out(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class GPT(nn.Module):
    """Byte-level GPT; the output layer is the token embedding's transpose, without a bias."""

    def __init__(self, vocab=256, context=128, d=128, layers=4, heads=4, mlp=512):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocab, d), nn.Embedding(context, d)
        self.blocks = nn.ModuleList(Block(d, heads, mlp) for _ in range(layers))
        self.lnf = nn.LayerNorm(d)
        for name, p in self.named_parameters():
            if name.endswith("bias"):
                nn.init.zeros_(p)
            elif p.dim() >= 2:
                nn.init.normal_(p, 0.0, 0.02)

    def forward(self, ids):
        x = self.wte(ids) + self.wpe(torch.arange(ids.shape[1]))
        for block in self.blocks:
            x = block(x)
        return self.lnf(x) @ self.wte.weight.T


def optimizer(net, lr):
    matrices = [p for p in net.parameters() if p.dim() >= 2]
    others = [p for p in net.parameters() if p.dim() < 2]
    return torch.optim.AdamW([{"params": matrices, "weight_decay": 0.1}, {"params": others, "weight_decay": 0.0}],
                             lr=lr, betas=(0.9, 0.999))


def windows(data, starts, context):
    rows = np.stack([data[s:s + context + 1] for s in starts]).astype(np.int64)
    return torch.from_numpy(rows[:, :-1]), torch.from_numpy(rows[:, 1:])


def validation_loss(net, val, context, batch=64):
    starts = list(range(0, len(val) - context, context))
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(starts), batch):
            x, y = windows(val, starts[i:i + batch], context)
            total += F.cross_entropy(net(x).flatten(0, 1), y.flatten(), reduction="sum").item()
            count += y.numel()
    return total / count


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--text", default="configs/data/shakespeare.txt")
    p.add_argument("--context", type=int, default=128)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--steps", type=int, default=10, help="steps per timed repetition")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--train", type=int, default=0, help="train this many steps and report validation loss")
    p.add_argument("--constant-lr", action="store_true", help="with --train: lr 1e-3 throughout")
    p.add_argument("--load", help="a model.safetensors to load with load_state_dict and evaluate")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    data = np.fromfile(a.text, dtype=np.uint8)
    cut = len(data) - len(data) // 10
    train, val = data[:cut], data[cut:]
    rng = np.random.default_rng(1)
    row = {"model": "torch gpt d128 h4 L4 mlp512 ctx128", "batch": a.batch, "threads": a.threads,
           "torch": torch.__version__}

    if a.load:
        from safetensors.torch import load_file
        net = GPT(context=a.context)
        net.load_state_dict(load_file(a.load), strict=True)
        row["loaded"] = a.load
        row["val_loss"] = validation_loss(net, val, a.context)
        row["val_bpb"] = row["val_loss"] / math.log(2)
        print(json.dumps(row))
        return

    net = GPT(context=a.context)
    opt = optimizer(net, 1e-3)

    def step():
        x, y = windows(train, rng.integers(0, len(train) - a.context - 1, a.batch), a.context)
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net(x).flatten(0, 1), y.flatten())
        loss.backward()
        opt.step()
        return loss.item()

    if a.train:
        warmup, floor = 100, 1e-4
        started = time.perf_counter()
        for s in range(a.train):
            if not a.constant_lr:
                t = max(0.0, (s - warmup) / max(1, a.train - warmup))
                lr = 1e-3 * (s + 1) / warmup if s < warmup else floor + (1e-3 - floor) * 0.5 * (1 + math.cos(math.pi * t))
                for group in opt.param_groups:
                    group["lr"] = lr
            step()
            if (s + 1) % 250 == 0 or s + 1 == a.train:
                print(json.dumps({"step": s + 1, "val_loss": validation_loss(net, val, a.context),
                                  "seconds": time.perf_counter() - started}), flush=True)
        return

    step()  # warm-up
    rates = []
    for _ in range(a.repeats):
        start = time.perf_counter()
        for _ in range(a.steps):
            step()
        rates.append(a.steps * a.batch * a.context / (time.perf_counter() - start))
    row["tokens_per_s"] = statistics.median(rates)
    row["samples_per_s"] = row["tokens_per_s"] / a.context
    print(json.dumps(row))


if __name__ == "__main__":
    main()
