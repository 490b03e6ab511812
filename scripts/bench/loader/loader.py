"""Python side of the loader benchmark: the same epoch (Fashion-MNIST train, batch 128, shuffle,
random crop 28 / padding 4 zero + horizontal flip p=0.5 + normalise) three ways:
  - TensorDataset + per-sample transform + torch.utils.data.DataLoader, num_workers 0 and 2
    (the transform is what torchvision's RandomCrop(28, padding=4) + RandomHorizontalFlip() +
    ToTensor-style /255 + Normalize do to a uint8 tensor; torchvision is not installed);
  - for reference, a batched-tensor pipeline like torchmix's (dataset padded once, per-epoch
    randperm and offsets, one index_select + one gather per batch);
then the same small CNN step as loader.ts. Prints one JSON line per measurement.
  python scripts/bench/loader/loader.py --threads 1 --epochs 3 --steps 30 --workers 0,2
"""
import argparse, gzip, json, os, time
import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

ap = argparse.ArgumentParser()
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--epochs", type=int, default=3)
ap.add_argument("--steps", type=int, default=30)
ap.add_argument("--workers", default="0,2")
ap.add_argument("--dir", default="/usr/share/datasets/fashion-mnist")
a = ap.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)


def idx(path):
    with gzip.open(path) as f:
        b = f.read()
    nd = b[3]
    dims = [int.from_bytes(b[4 + 4 * i: 8 + 4 * i], "big") for i in range(nd)]
    return np.frombuffer(b, np.uint8, offset=4 + 4 * nd).reshape(dims)


images = torch.from_numpy(idx(os.path.join(a.dir, "train-images-idx3-ubyte.gz")).copy()).unsqueeze(1)  # uint8 N×1×28×28
labels = torch.from_numpy(idx(os.path.join(a.dir, "train-labels-idx1-ubyte.gz")).astype(np.int64))
MEAN, STD = torch.tensor([0.2860]).view(1, 1, 1), torch.tensor([0.3530]).view(1, 1, 1)


class TransformedTensorDataset(TensorDataset):
    """TensorDataset whose first tensor goes through a per-sample transform."""

    def __init__(self, *tensors, transform):
        super().__init__(*tensors)
        self.transform = transform

    def __getitem__(self, i):
        x, y = super().__getitem__(i)
        return self.transform(x), y


def transform(x):  # x: uint8 1×28×28
    x = F.pad(x, (4, 4, 4, 4))  # RandomCrop(28, padding=4): zero pad, then random offsets
    top = int(torch.randint(0, 9, (1,)))
    left = int(torch.randint(0, 9, (1,)))
    x = x[:, top: top + 28, left: left + 28]
    if torch.rand(1) < 0.5:  # RandomHorizontalFlip(0.5)
        x = x.flip(-1)
    x = x.float().div(255)  # ToTensor's scaling
    return x.sub_(MEAN).div_(STD)  # Normalize


def timed_epochs(name, make_iter, epochs):
    out = []
    for e in range(epochs + 1):  # first epoch is warm-up
        t0 = time.perf_counter()
        n = 0
        for x, y in make_iter():
            n += x.shape[0]
        ms = (time.perf_counter() - t0) * 1000
        if e > 0:
            out.append(ms)
            print(json.dumps({"impl": "python", "setting": name, "epoch": e - 1, "images": n, "ms": ms, "imgPerS": n / ms * 1000, "threads": a.threads}), flush=True)
    return out


ds = TransformedTensorDataset(images, labels, transform=transform)
for w in [int(s) for s in a.workers.split(",") if s != ""]:
    dl = DataLoader(ds, batch_size=128, shuffle=True, num_workers=w, drop_last=False)
    # Workers are started per epoch (persistent_workers=False, PyTorch's default); epochs are 60k samples.
    timed_epochs(f"DataLoader per-sample, num_workers={w}", lambda: iter(dl), a.epochs)

# Batched tensor pipeline, same algorithm as torchmix's DataLoader.
padded = F.pad(images, (4, 4, 4, 4)).contiguous()  # N×1×36×36 uint8, once
iOff = (torch.arange(28) * 36).view(1, 1, 28, 1)
jj = torch.arange(28).view(1, 1, 1, 28)
MEAN4, STD4 = MEAN.view(1, 1, 1, 1), STD.view(1, 1, 1, 1)


def batched_epoch():
    n = images.shape[0]
    perm = torch.randperm(n)
    oy = torch.randint(0, 9, (n,))
    ox = torch.randint(0, 9, (n,))
    flip = torch.rand(n) < 0.5
    off = oy * 36 + torch.where(flip, ox + 27, ox)
    d = torch.where(flip, -1, 1)
    for s in range(0, n, 128):
        idx = perm[s: s + 128]
        b = idx.shape[0]
        rows = padded.index_select(0, idx).view(b, 1, 36 * 36)
        g = (off[s: s + 128].view(b, 1, 1, 1) + iOff + d[s: s + 128].view(b, 1, 1, 1) * jj).view(b, 1, 784)
        x = rows.gather(2, g).view(b, 1, 28, 28).float().div_(255).sub_(MEAN4).div_(STD4)
        yield x, labels.index_select(0, idx)


ep_ms = timed_epochs("batched tensors (same algorithm as torchmix)", batched_epoch, a.epochs)

# Small CNN step (same as loader.ts).
def p(shape, fan_in):
    return (torch.randn(shape) / fan_in ** 0.5).requires_grad_()


params = [p([32, 1, 3, 3], 9), p([32], 9), p([64, 32, 3, 3], 288), p([64], 288), p([128, 3136], 3136), p([128], 3136), p([10, 128], 128), p([10], 128)]
w1, b1, w2, b2, w3, b3, w4, b4 = params


def step(x, y):
    h = F.max_pool2d(F.conv2d(x, w1, b1, padding=1).relu(), 2)
    h = F.max_pool2d(F.conv2d(h, w2, b2, padding=1).relu(), 2)
    h = F.linear(F.linear(h.flatten(1), w3, b3).relu(), w4, b4)
    F.cross_entropy(h, y).backward()
    with torch.no_grad():
        for q in params:
            q.sub_(q.grad, alpha=0.01)
            q.grad = None


x, y = next(iter(batched_epoch()))
for _ in range(5):
    step(x, y)
st = []
for _ in range(a.steps):
    t0 = time.perf_counter()
    step(x, y)
    st.append((time.perf_counter() - t0) * 1000)
med = lambda v: sorted(v)[len(v) // 2]
per_batch = med(ep_ms) / ((images.shape[0] + 127) // 128)
print(json.dumps({"impl": "python", "setting": "small CNN step", "stepMs": med(st), "loadMsPerBatch": per_batch, "loadPctOfStep": 100 * per_batch / med(st), "threads": a.threads}), flush=True)
