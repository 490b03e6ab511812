#!/usr/bin/env python3
"""The `torchmix train` recipe in Python PyTorch, for side-by-side baselines (docs/RESULTS.md).

Fashion-MNIST only, small CNN (scripts/fixtures/nn_reference_models.py Net), methods
none | mixup | manifold | cutmix. Mirrors torchmix's defaults and code paths:

- lib/cli/config.ts: batch 128, SGD lr 0.05 momentum 0.9 (dampening 0, no Nesterov), weight decay
  1e-4 on every parameter, cosine schedule (eta_min 0, T_max = epochs) stepped once per epoch after
  validation, 10 epochs by default.
- lib/cli/build.ts: uint8 images → float32 /255 → (x − 0.286) / 0.353 per batch; no augmentation;
  train loader shuffled every epoch with a permutation keyed by (seed, epoch) that does not touch the
  torch generator, drop_last; eval batches of 1000 in order; validation = the test split.
- torch.manual_seed(seed) before the model is built (PyTorch's default init: kaiming_uniform(a=√5)).
- lib/mixup: λ ~ Beta(α, α) per batch (torch.distributions.Beta), partner = randperm(n);
  mixup α=1 (input blend, targets blended with the same λ); manifold α=2, stage uniform over
  [0 input, 1 relu(conv1), 2 maxpool(relu(conv2)) before dropout1] (the drawn U[0,1) from torch's
  CPU generator); cutmix α=1, one box per batch: r = √(1−λ), half sides ⌊⌊H·r⌋/2⌋, centre uniform
  over pixels, clipped; λ corrected to 1 − box area / image area. Loss: soft-target cross-entropy
  (mean over the batch); for `none` one-hot targets (= plain CE).
- lib/train/trainer.ts: per step apply method → forward → loss → zero_grad → backward → step;
  trainLoss = Σ loss·bs / samples; `seconds` = training time of the epoch (validation excluded);
  validation loss (CE on hard labels), accuracy, ECE with 15 bins (bin = ceil(conf·15) − 1).
- lib/data/noise.ts: symmetric label noise: round(p·n) distinct indices, each relabelled uniformly
  over all classes (the true one included), from its own RNG keyed by the seed.
"""
import argparse
import gzip
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'fixtures'))
from nn_reference_models import Net  # noqa: E402
import tmrng  # noqa: E402

MEAN, STD = 0.286, 0.353
ECE_BINS = 15
METHOD_ALPHA = {'none': None, 'mixup': 1.0, 'manifold': 2.0, 'cutmix': 1.0}
MANIFOLD_LAYERS = [0, 1, 2]


def read_idx(path):
    with gzip.open(path, 'rb') as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_split(data_dir, split):
    prefix = 'train' if split == 'train' else 't10k'
    images = read_idx(os.path.join(data_dir, f'{prefix}-images-idx3-ubyte.gz'))
    labels = read_idx(os.path.join(data_dir, f'{prefix}-labels-idx1-ubyte.gz'))
    return torch.from_numpy(images.copy()).unsqueeze(1), torch.from_numpy(labels.astype(np.int64))


def corrupt_symmetric(labels, fraction, seed, num_classes):
    rng = np.random.default_rng([seed, 0x6e6f6973])
    n = labels.shape[0]
    out = labels.clone()
    idx = rng.choice(n, size=int(round(fraction * n)), replace=False)
    out[torch.from_numpy(idx)] = torch.from_numpy(rng.integers(0, num_classes, size=idx.shape[0]).astype(np.int64))
    return out, float((out != labels).float().mean())


_NORM = (torch.tensor([MEAN], dtype=torch.float32).reshape(1, 1, 1, 1), torch.tensor([STD], dtype=torch.float32).reshape(1, 1, 1, 1))


def finish(raw):
    """uint8 rows → float32 /255 → normalised, with the torchmix DataLoader's very ops (per-channel
    float32 tensors, not Python scalars: a scalar divisor is applied as a reciprocal multiply)."""
    return raw.to(torch.float32).div_(255).sub_(_NORM[0]).div_(_NORM[1])


def epoch_permutation(a, n, epoch):
    """The training order of a 1-based epoch: numpy's generator keyed by (seed, epoch − 1), or with
    --same-stream torchmix's own (lib/data/rng.ts Rng(seed, epoch − 1)): the very batches torchmix trains on."""
    if a.same_stream:
        return torch.tensor(tmrng.Rng(a.seed, epoch - 1).permutation(n), dtype=torch.int64)
    return torch.from_numpy(np.random.default_rng([a.seed, epoch - 1]).permutation(n))


def forward_mix(net, x, k=None, mix=None):
    """Net.forward with torchmix's SmallCNN mixing points (stages: input, conv1, conv2, fc1)."""
    at = (lambda i, h: mix(h) if i == k else h) if k is not None else (lambda i, h: h)
    h = at(0, x)
    h = at(1, F.relu(net.conv1(h)))
    h = at(2, F.max_pool2d(F.relu(net.conv2(h)), 2))
    h = torch.flatten(net.dropout1(h), 1)
    h = at(3, F.relu(net.fc1(h)))
    return net.fc2(net.dropout2(h))


def blend(a, b, lam):
    return b.lerp(a, lam.to(a.dtype))


def soft_ce(logits, target):
    return F.cross_entropy(logits, target)


def apply_method(method, alpha, net, x, y, num_classes):
    """→ (logits, soft targets): the method's step, drawing from torch's generator as torchmix does."""
    n = x.shape[0]
    onehot = F.one_hot(y, num_classes).to(x.dtype)
    if method == 'none' or not (alpha > 0):
        return forward_mix(net, x), onehot
    lam = torch.distributions.Beta(torch.tensor(float(alpha)), torch.tensor(float(alpha))).sample()
    perm = torch.randperm(n)
    if method == 'mixup':
        target = blend(onehot, onehot[perm], lam)
        return forward_mix(net, blend(x, x[perm], lam)), target
    if method == 'manifold':
        L = len(MANIFOLD_LAYERS)
        k = MANIFOLD_LAYERS[min(L - 1, math.floor(torch.rand(1).item() * L))]
        out = forward_mix(net, x, k, lambda h: blend(h, h[perm], lam))
        return out, blend(onehot, onehot[perm], lam)
    if method == 'cutmix':
        H, W = x.shape[-2:]
        r = math.sqrt(max(0.0, 1.0 - float(lam)))
        half_h = math.floor(math.floor(r * H) / 2)
        half_w = math.floor(math.floor(r * W) / 2)
        cy = int(torch.randint(0, H, ()).item())
        cx = int(torch.randint(0, W, ()).item())
        yl, yh = min(max(cy - half_h, 0), H), min(max(cy + half_h, 0), H)
        xl, xh = min(max(cx - half_w, 0), W), min(max(cx + half_w, 0), W)
        xm = x.clone()
        xm[..., yl:yh, xl:xh] = x[perm][..., yl:yh, xl:xh]
        lam_c = torch.tensor(1.0 - (yh - yl) * (xh - xl) / (H * W), dtype=torch.float32)
        return forward_mix(net, xm), blend(onehot, onehot[perm], lam_c)
    raise SystemExit(f'unknown method {method}')


@torch.no_grad()
def evaluate(net, images, labels, batch=1000):
    net.eval()
    loss = torch.zeros((), dtype=torch.float64)
    correct = torch.zeros((), dtype=torch.float64)
    bins = torch.zeros(ECE_BINS, dtype=torch.float64)
    n = labels.shape[0]
    for s in range(0, n, batch):
        x = finish(images[s:s + batch])
        y = labels[s:s + batch]
        logits = net(x)
        loss += F.cross_entropy(logits, y, reduction='sum').double()
        conf, pred = F.softmax(logits.float(), 1).max(1)
        c = pred.eq(y).float()
        correct += c.sum().double()
        b = conf.mul(ECE_BINS).ceil().sub(1).clamp(0, ECE_BINS - 1).long()
        bins += torch.zeros(ECE_BINS).scatter_add(0, b, conf - c).double()
    net.train()
    return float(loss) / n, float(correct) / n, float(bins.abs().sum()) / n


def end_epoch(history, sched, net, test_x, test_y, epoch, lr0, loss_sum, samples, seconds, **extra):
    """The epoch's record (torchmix's EpochRecord keys) after validation, appended and printed; then the scheduler step."""
    rec = {'epoch': epoch, 'trainLoss': float(loss_sum) / samples, 'lr': lr0, 'seconds': seconds, 'imagesPerSecond': samples / seconds}
    rec['valLoss'], rec['valAcc'], rec['valEce'] = evaluate(net, test_x, test_y)
    rec.update(extra)
    sched.step()
    history.append(rec)
    print(json.dumps(rec), flush=True)


def write_results(out, config, history):
    """results.json in torchmix's format (Trainer.writeResults), and the one-line summary on stderr."""
    best = None
    for e in history:
        if best is None or e['valAcc'] > best['valAcc']:
            best = e
    spe = sum(e['seconds'] for e in history) / len(history)
    results = {
        'config': config,
        'libtorch': {'version': torch.__version__, 'python': True, 'threads': torch.get_num_threads()},
        'history': {'epochs': history, 'best': best, 'last': history[-1], 'interrupted': False, 'secondsPerEpoch': spe},
        'final': history[-1],
        'best': best,
        'secondsPerEpoch': spe,
    }
    with open(os.path.join(out, 'results.json'), 'w') as f:
        json.dump(results, f, indent=2)
        f.write('\n')
    print(f"test accuracy: {100 * history[-1]['valAcc']:.2f}% (best {100 * best['valAcc']:.2f}% at epoch {best['epoch']}); results: {os.path.join(out, 'results.json')}", file=sys.stderr)


def add_recipe_args(p):
    """The recipe's flags shared by train.py and adamixup.py (lib/cli/config.ts defaults)."""
    p.add_argument('--dataset', default='fashion-mnist', choices=['fashion-mnist'])
    p.add_argument('--data-dir', default='/usr/share/datasets/fashion-mnist')
    p.add_argument('--epochs', type=int, default=10)
    p.add_argument('--batch-size', type=int, default=128)
    p.add_argument('--lr', type=float, default=0.05)
    p.add_argument('--momentum', type=float, default=0.9)
    p.add_argument('--weight-decay', type=float, default=1e-4)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--threads', type=int)
    p.add_argument('--label-noise', type=float, default=0.0)
    p.add_argument('--out', default=None)
    p.add_argument('--same-stream', action='store_true',
                   help="draw shuffles and label noise with torchmix's data RNG (tmrng.py): the same batches and labels as torchmix")
    p.add_argument('--limit', type=int, help=argparse.SUPPRESS)  # smoke tests: first N training samples
    p.add_argument('--val-limit', type=int, help=argparse.SUPPRESS)  # smoke tests: first N test samples


def load_data(a, num_classes=10):
    """Threads, seed, both splits, label noise, smoke-test limits → (train_x, train_y, test_x, test_y, noise_rate, t0)."""
    if a.threads is not None:
        torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    t0 = time.time()
    train_x, train_y = load_split(a.data_dir, 'train')
    test_x, test_y = load_split(a.data_dir, 'test')
    noise_rate = None
    if a.label_noise > 0:
        corrupt = tmrng.corrupt_symmetric if a.same_stream else corrupt_symmetric
        train_y, noise_rate = corrupt(train_y, a.label_noise, a.seed, num_classes)
    if a.limit is not None:
        train_x, train_y = train_x[:a.limit], train_y[:a.limit]
    if a.val_limit is not None:
        test_x, test_y = test_x[:a.val_limit], test_y[:a.val_limit]
    return train_x, train_y, test_x, test_y, noise_rate, t0


def recipe_config(a, method, out, **extra):
    """config for results.json, in the torchmix CLI's keys."""
    return {
        'dataset': a.dataset, 'dataDir': a.data_dir, 'model': 'small-cnn', 'method': method, 'epochs': a.epochs,
        'batchSize': a.batch_size, 'lr': a.lr, 'optimizer': 'sgd', 'momentum': a.momentum, 'weightDecay': a.weight_decay,
        'schedule': 'cosine', 'warmupEpochs': 0, 'device': 'cpu', 'seed': a.seed, 'labelNoise': a.label_noise, 'out': out,
        'progress': 'none', 'impl': 'pytorch', 'torch': torch.__version__, **extra,
        **({'sameStream': True} if a.same_stream else {}),
        **({'threads': a.threads} if a.threads is not None else {}),
        **({'limit': a.limit} if a.limit is not None else {}), **({'valLimit': a.val_limit} if a.val_limit is not None else {}),
    }


def loaded_line(a, train_x, test_x, noise_rate, t0, what):
    print(f"{a.dataset}: {train_x.shape[0]} train / {test_x.shape[0]} test samples"
          f"{f', {100 * noise_rate:.1f}% train labels corrupted' if noise_rate is not None else ''} (loaded in {time.time() - t0:.1f} s); "
          f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads; {what}", file=sys.stderr)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_recipe_args(p)
    p.add_argument('--method', default='mixup', choices=list(METHOD_ALPHA))
    p.add_argument('--alpha', type=float)
    a = p.parse_args()
    if a.alpha is not None and a.method == 'none':
        raise SystemExit("--alpha: method 'none' has no alpha (it mixes nothing)")
    alpha = a.alpha if a.alpha is not None else METHOD_ALPHA[a.method]
    out = a.out or os.path.join('runs', 'baselines', f'pytorch-{a.method}-s{a.seed}')
    train_x, train_y, test_x, test_y, noise_rate, t0 = load_data(a)
    num_classes = 10
    net = Net(in_channels=1, num_classes=num_classes)
    opt = torch.optim.SGD(net.parameters(), lr=a.lr, momentum=a.momentum, dampening=0, nesterov=False, weight_decay=a.weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, a.epochs), eta_min=0)
    config = recipe_config(a, a.method, out, **({'alpha': a.alpha} if a.alpha is not None else {}))
    os.makedirs(out, exist_ok=True)
    loaded_line(a, train_x, test_x, noise_rate, t0, f'{a.method} α={alpha}')

    n = train_x.shape[0]
    steps = n // a.batch_size  # drop_last
    history = []
    net.train()
    for epoch in range(1, a.epochs + 1):
        lr0 = opt.param_groups[0]['lr']
        perm = epoch_permutation(a, n, epoch)
        loss_sum = torch.zeros((), dtype=torch.float64)
        samples = 0
        t = time.perf_counter()
        for i in range(steps):
            idx = perm[i * a.batch_size:(i + 1) * a.batch_size]
            x = finish(train_x.index_select(0, idx))
            y = train_y.index_select(0, idx)
            logits, target = apply_method(a.method, alpha, net, x, y, num_classes)
            loss = soft_ce(logits, target)
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_sum += loss.detach().double() * y.shape[0]
            samples += y.shape[0]
        end_epoch(history, sched, net, test_x, test_y, epoch, lr0, loss_sum, samples, time.perf_counter() - t)

    write_results(out, config, history)


if __name__ == '__main__':
    main()
