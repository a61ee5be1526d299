# gpt_forward.py: the forward pass of a byte-level GPT in numpy alone, from the tensor names and
# shapes of a model.safetensors (PyTorch's layout); checks logits computed elsewhere against it.
#   python3 gpt_forward.py MODEL.safetensors IDS.f32 LOGITS.f32 BATCH HEADS
# IDS.f32 holds BATCH×T token ids and LOGITS.f32 BATCH×T×V logits, both raw little-endian float32.
# Prints the largest absolute difference; exits 1 when it exceeds 1e-4.
import json
import struct
import sys

import numpy as np


def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + size])
    body = data[8 + size:]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", (name, info["dtype"])
        start, end = info["data_offsets"]
        tensors[name] = np.frombuffer(body[start:end], dtype="<f4").reshape(info["shape"]).astype(np.float64)
    return tensors


def layer_norm(x, weight, bias):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-5) * weight + bias


def linear(x, w, name):
    return x @ w[name + ".weight"].T + w[name + ".bias"]


def gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))


def forward(w, ids, heads):
    batch, t = ids.shape
    x = w["wte.weight"][ids] + w["wpe.weight"][:t]
    blocks = sorted({int(k.split(".")[1]) for k in w if k.startswith("blocks.")})
    mask = np.triu(np.ones((t, t), dtype=bool), k=1)
    for i in blocks:
        p = f"blocks.{i}"
        c = x.shape[-1]
        d = c // heads
        qkv = linear(layer_norm(x, w[p + ".ln1.weight"], w[p + ".ln1.bias"]), w, p + ".qkv")
        q, k, v = (qkv[..., j * c:(j + 1) * c].reshape(batch, t, heads, d).transpose(0, 2, 1, 3) for j in range(3))
        scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(d)
        scores = np.where(mask, -np.inf, scores)
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        attention = scores / scores.sum(axis=-1, keepdims=True)
        y = (attention @ v).transpose(0, 2, 1, 3).reshape(batch, t, c)
        x = x + linear(y, w, p + ".proj")
        h = gelu_tanh(linear(layer_norm(x, w[p + ".ln2.weight"], w[p + ".ln2.bias"]), w, p + ".fc"))
        x = x + linear(h, w, p + ".out")
    x = layer_norm(x, w["lnf.weight"], w["lnf.bias"])
    return x @ w["wte.weight"].T


def main():
    model, ids_path, logits_path, batch, heads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    w = load_safetensors(model)
    ids = np.fromfile(ids_path, dtype="<f4").astype(np.int64).reshape(batch, -1)
    expected = forward(w, ids, heads)
    given = np.fromfile(logits_path, dtype="<f4").reshape(expected.shape)
    difference = float(np.abs(expected - given).max())
    print(json.dumps({"max_abs_difference": difference, "shape": list(expected.shape)}))
    sys.exit(0 if difference <= 1e-4 else 1)


if __name__ == "__main__":
    main()
