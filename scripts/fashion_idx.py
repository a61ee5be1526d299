# fashion_idx: reads a gzipped IDX file (the Fashion-MNIST format) into a NumPy array, for the
# PyTorch side-by-side scripts beside it.
import gzip

import numpy as np


def idx(path):
    """The array stored in the gzipped IDX file at `path` (uint8, its own shape)."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)
