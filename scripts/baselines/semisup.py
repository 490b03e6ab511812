#!/usr/bin/env python3
"""MixMatch and ICT in Python PyTorch: the reference steps torchmix's mixup.mixmatch / mixup.ict mirror
(test/mixup/{mixmatch,ict}.test.ts compare one step in float64, gradients and BatchNorm statistics
included), and a training entry point on the `torchmix train --method mixmatch|ict --labels N` recipe.

The steps follow the reference code (google-research/mixmatch and its port YU1ut/MixMatch-pytorch;
vikasverma1077/ICT main.py), written with the very ops torchmix uses so that lockstep runs agree digit
for digit: blend(a, b, λ) = b.lerp(a, λ) (= λa + (1 − λ)b), the paired cross-entropy as
CE_b.lerp(CE_a, λ), the loss as torch.add(sup, unsup, alpha=w), EMA updates as lerp_.

mixmatch_step(model, x, y, us, num_classes, it, steps_per_epoch, epochs, o, draws=None):
  1. q = sharpen(mean_k softmax(model(u_k)), T), no gradient; with bn_update 'first' the guess passes
     use batch statistics without updating the running ones (frozen_bn: momentum 0, num_batches_tracked
     restored), as the official code, whose only BatchNorm updates are those of the first interleaved pass.
  2. pool = cat[x, u_1..u_K], targets cat[onehot(y), q, .., q]; λ ~ Beta(α, α) of shape [pool] ('elem',
     official) or [] ('batch', port), λ = max(λ, 1 − λ); perm = randperm(pool) — drawn in this order from
     torch's generator, or given in `draws` ({'lam', 'perm'}: the raw Beta draw before the max, and perm).
  3. interleave (layers.interleave) the K + 1 batches, one forward each (the first updates BatchNorm;
     the others too with bn_update 'all'), un-interleave; or one pass over the pool (interleave False).
  4. loss = CE(logits_x, targets_x) + w·mse(softmax(logits_u), targets_u), w = λ_U·clip(it / rampup, 0, 1)
     (it = steps before this one), or rampup 'run': λ_U·clip((it / steps_per_epoch) / epochs, 0, 1).
  After the optimizer step: ema_update (lerp_ of parameters and floating buffers) and decoupled weight
  decay w ← w·(1 − wd·lr) on ≥2-D parameters ('kernels', official) or every floating state-dict entry
  ('all', port) — in that order (the port's WeightEMA order).

ict_step(model, teacher, x, y, u, num_classes, it, steps_per_epoch, epochs, o, draws=None):
  λ_s ~ Beta(α, α), perm_s = randperm(B); sup = CE(out, y[perm]).lerp(CE(out, y), λ_s) with
  out = model(blend(x, x[perm_s], λ_s)); t = teacher(u) (train mode, no gradient); λ_u ~ Beta(α_u, α_u),
  perm_u = randperm(B_u) (drawn in this order, or given in draws {'lam_s', 'perm_s', 'lam_u', 'perm_u'});
  target 'logits': softmax(blend(t, t[perm_u], λ_u)) (official code) | 'probs': blend of softmax(t) (paper);
  unsup = mse(softmax(model(blend(u, u[perm_u], λ_u))), target); w = λ_U·exp(−5(1 − clip(t_ep, 0, T)/T)²),
  t_ep = it / steps_per_epoch, T = rampup epochs (default epochs / 4).
  After the optimizer step: teacher_update(teacher, model, step = it + 1): a = min(1 − 1/(step + 1), ema),
  teacher param ← teacher·a + student·(1 − a) (mul_/add_ as mean-teacher's update_ema_variables).

Optimizers: --same-stream uses CppAdam (torch::optim::Adam's update written out: mul_/add_, not
torch.optim.Adam's lerp_) so the Python side takes the very steps of torchmix's native Adam; SGD is
torch.optim.SGD (identical to torch::optim::SGD).

Training (main): the dataset's train split is cut by torchmix's data.sslSplit (N/classes labels per class,
drawn with its RNG: tmrng), labeled and unlabeled loaders shuffled per epoch (Rng(seed, epoch), drop_last),
K augmented views of each unlabeled batch (mixmatch) drawn as torchmix's DataLoader does (tmrng: crop/flip
offsets per view, or Gaussian jitter for the toy sets), an epoch = --steps-per-epoch steps (default one pass
over the unlabeled set), the labeled loader cycled. Evaluation with the EMA (mixmatch) or the teacher (ict).

    .venv/bin/python scripts/baselines/semisup.py --method mixmatch --dataset moons --labels 10 --epochs 10 \\
        --seed 0 --threads 1 --out runs/baselines/pytorch-mixmatch-s0 [--same-stream]
"""
import argparse
import copy
import json
import math
import os
import sys
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'fixtures'))
sys.path.insert(0, HERE)
import tmrng  # noqa: E402

MIXMATCH = dict(alpha=0.75, lambda_u=75.0, temperature=0.5, views=2, mode='elem', interleave=True, bn_update='first', rampup=16384, ema=0.999)
ICT = dict(alpha=1.0, alpha_u=1.0, lambda_u=100.0, rampup=None, ema=0.999, target='logits')


# ---- shared pieces (lib/mixup/ssl.ts) ----

def sharpen(p, T):
    pt = p.pow(1 / T)
    return pt.div(pt.sum(1, keepdim=True))


def interleave_offsets(batch, nu):
    groups = [batch // (nu + 1)] * (nu + 1)
    for x in range(batch - sum(groups)):
        groups[-x - 1] += 1
    offsets = [0]
    for g in groups:
        offsets.append(offsets[-1] + g)
    assert offsets[-1] == batch
    return offsets


def interleave(xy, batch):
    nu = len(xy) - 1
    offsets = interleave_offsets(batch, nu)
    xy = [[v[offsets[p]:offsets[p + 1]] for p in range(nu + 1)] for v in xy]
    for i in range(1, nu + 1):
        xy[0][i], xy[i][i] = xy[i][i], xy[0][i]
    return [torch.cat(v, dim=0) for v in xy]


def linear_rampup(current, length):
    return 1.0 if length == 0 else min(1.0, max(0.0, current / length))


def sigmoid_rampup(current, length):
    if length == 0:
        return 1.0
    phase = 1.0 - min(length, max(0.0, current)) / length
    return math.exp(-5.0 * phase * phase)


class frozen_bn:
    """Train-mode BatchNorm that leaves running statistics alone (momentum 0, num_batches_tracked restored)."""

    def __init__(self, model, on=True):
        self.bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats] if on else []

    def __enter__(self):
        self.saved = [(m.momentum, m.num_batches_tracked.clone()) for m in self.bns]
        for m in self.bns:
            m.momentum = 0.0
        return self

    def __exit__(self, *exc):
        for m, (mom, n) in zip(self.bns, self.saved):
            m.momentum = mom
            m.num_batches_tracked.copy_(n)
        return False


def lam_for(lam, ndim):
    return lam if lam.dim() == 0 else lam.reshape([lam.shape[0]] + [1] * (ndim - 1))


def blend(a, b, lam):
    lam = lam_for(lam, a.dim())
    return b.lerp(a, lam if lam.dtype == a.dtype else lam.to(a.dtype))


def sample_beta(alpha, shape, dtype):
    if not alpha > 0:
        return torch.ones(shape, dtype=dtype)
    a = torch.tensor(float(alpha), dtype=dtype)
    return torch.distributions.Beta(a, a).sample(shape)


def lam_dtype(x):
    return torch.float64 if x.dtype == torch.float64 else torch.float32


# ---- MixMatch ----

def mixmatch_weight(o, it, steps_per_epoch, epochs):
    if o['rampup'] == 'run':
        return o['lambda_u'] * linear_rampup(it / steps_per_epoch, epochs)
    return o['lambda_u'] * linear_rampup(it, o['rampup'])


def mixmatch_step(model, x, y, us, num_classes, it, steps_per_epoch, epochs, o=MIXMATCH, draws=None):
    """→ dict(loss, sup, unsup, w): the loss to backpropagate (model in train mode)."""
    B = x.shape[0]
    K = len(us)
    first = o['bn_update'] == 'first'
    with torch.no_grad():
        with frozen_bn(model, first):
            ps = [F.softmax(model(u), 1) for u in us]
        q = sharpen(torch.stack(ps).mean(0), o['temperature'])
    pool = torch.cat([x] + list(us))
    fd = x.dtype if x.dtype.is_floating_point else torch.float32
    targets = torch.cat([F.one_hot(y, num_classes).to(fd)] + [q.to(fd)] * K)
    n = pool.shape[0]
    if draws is None:
        lam = sample_beta(o['alpha'], [n] if o['mode'] == 'elem' else [], lam_dtype(x))
        perm = torch.randperm(n)
    else:
        lam, perm = draws['lam'], draws['perm']
    lam = torch.maximum(lam, 1 - lam)
    mixed = blend(pool, pool.index_select(0, perm), lam)
    mixed_t = blend(targets, targets.index_select(0, perm), lam)
    if o['interleave']:
        parts = interleave(list(torch.split(mixed, [B] + [u.shape[0] for u in us])), B)
        logits = []
        for i, p in enumerate(parts):
            with frozen_bn(model, first and i > 0):
                logits.append(model(p))
        back = interleave(logits, B)
        lx, lu = back[0], torch.cat(back[1:])
    else:
        logits = model(mixed)
        lx, lu = logits[:B], logits[B:]
    sup = F.cross_entropy(lx, mixed_t[:B].to(lx.dtype))
    unsup = F.mse_loss(F.softmax(lu, 1), mixed_t[B:].to(lu.dtype))
    w = mixmatch_weight(o, it, steps_per_epoch, epochs)
    return dict(loss=torch.add(sup, unsup, alpha=w), sup=sup, unsup=unsup, w=w)


@torch.no_grad()
def ema_update(ema_model, model, decay):
    """nn.ModelEMA.update (no warm-up): e.lerp_(p, 1 − d) for parameters and floating buffers, other buffers copied."""
    bufs = dict(model.named_buffers())
    for (k, e), (_, p) in zip(ema_model.named_parameters(), model.named_parameters()):
        e.lerp_(p, 1 - decay)
    for k, e in ema_model.named_buffers():
        if e.dtype.is_floating_point:
            e.lerp_(bufs[k], 1 - decay)
        else:
            e.copy_(bufs[k])


def decayed_tensors(model, scope):
    if scope == 'kernels':
        return [p for _, p in model.named_parameters() if p.dim() >= 2]
    return [t for _, t in list(model.named_parameters()) + list(model.named_buffers()) if t.dtype.is_floating_point]


@torch.no_grad()
def decoupled_weight_decay(model, wd, lr, scope='kernels'):
    f = 1 - wd * lr
    for t in decayed_tensors(model, scope):
        t.mul_(f)


# ---- ICT ----

def ict_weight(o, it, steps_per_epoch, epochs):
    T = o['rampup'] if o['rampup'] is not None else epochs / 4
    return o['lambda_u'] * sigmoid_rampup(it / steps_per_epoch, T)


def ict_step(model, teacher, x, y, u, num_classes, it, steps_per_epoch, epochs, o=ICT, draws=None):
    """→ dict(loss, sup, unsup, w); model and teacher in train mode."""
    B = x.shape[0]
    d = draws or {}
    ls = d['lam_s'] if 'lam_s' in d else sample_beta(o['alpha'], [], lam_dtype(x))
    ps = d['perm_s'] if 'perm_s' in d else torch.randperm(B)
    out_l = model(blend(x, x.index_select(0, ps), ls))
    la = F.cross_entropy(out_l, y)
    lb = F.cross_entropy(out_l, y.index_select(0, ps))
    sup = lb.lerp(la, ls.to(out_l.dtype))
    with torch.no_grad():
        t = teacher(u)
    lu = d['lam_u'] if 'lam_u' in d else sample_beta(o['alpha_u'], [], lam_dtype(u))
    pu = d['perm_u'] if 'perm_u' in d else torch.randperm(u.shape[0])
    if o['target'] == 'logits':
        target = F.softmax(blend(t, t.index_select(0, pu), lu), 1)
    else:
        p = F.softmax(t, 1)
        target = blend(p, p.index_select(0, pu), lu)
    out_u = model(blend(u, u.index_select(0, pu), lu))
    unsup = F.mse_loss(F.softmax(out_u, 1), target)
    w = ict_weight(o, it, steps_per_epoch, epochs)
    return dict(loss=torch.add(sup, unsup, alpha=w), sup=sup, unsup=unsup, w=w)


@torch.no_grad()
def teacher_update(teacher, model, decay, step):
    a = min(1 - 1 / (step + 1), decay)
    for e, p in zip(teacher.parameters(), model.parameters()):
        e.mul_(a).add_(p, alpha=1 - a)


def make_teacher(model):
    t = copy.deepcopy(model)
    for p in t.parameters():
        p.requires_grad_(False)
    return t


# ---- optimizer: torch::optim::Adam's step (native/optim.cc wraps it) ----

class CppAdam(torch.optim.Optimizer):
    """torch::optim::Adam (torch/csrc/api/src/optim/adam.cpp), L2 weight decay in the gradient, no amsgrad."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self):
        for g in self.param_groups:
            b1, b2 = g['betas']
            for p in g['params']:
                if p.grad is None:
                    continue
                grad = p.grad
                st = self.state[p]
                if not st:
                    st['step'] = 0
                    st['exp_avg'] = torch.zeros_like(p)
                    st['exp_avg_sq'] = torch.zeros_like(p)
                st['step'] += 1
                bc1 = 1 - b1 ** st['step']
                bc2 = 1 - b2 ** st['step']
                if g['weight_decay'] != 0:
                    grad = grad.add(p, alpha=g['weight_decay'])
                st['exp_avg'].mul_(b1).add_(grad, alpha=1 - b1)
                st['exp_avg_sq'].mul_(b2).addcmul_(grad, grad, value=1 - b2)
                denom = (st['exp_avg_sq'].sqrt() / math.sqrt(bc2)).add_(g['eps'])
                p.addcdiv_(st['exp_avg'], denom, value=-(g['lr'] / bc1))


# ---- data (torchmix's DataLoader draws, lib/data/loader.ts + augment.ts, through tmrng) ----

def rng_random(rng):
    return ((rng.next_u32() >> 5) * 67108864 + (rng.next_u32() >> 6)) / 9007199254740992


def rng_normal(rng):
    u = 1 - rng_random(rng)
    return math.sqrt(-2 * math.log(u)) * math.cos(2 * math.pi * rng_random(rng))


def uniform(rng):
    return rng.random() if isinstance(rng, NpRng) else rng_random(rng)


def normal(rng):
    return rng.normal() if isinstance(rng, NpRng) else rng_normal(rng)


class Loader:
    """torchmix's DataLoader over prepared float32 rows x (N×D, or N×C×H×W as uint8 with finish), shuffled
    per epoch with Rng(seed, epoch), drop_last, `views` augmented views per batch (jitter for N×D, reflect
    crop + flip for images) drawn from the same Rng after the permutation, view by view."""

    def __init__(self, x, y, batch_size, seed, views=1, jitter=0.0, crop_pad=0, flip=False, finish=None, rng=tmrng.Rng):
        self.x, self.y, self.bs, self.seed, self.views, self.rng = x, y, batch_size, seed, views, rng
        self.jitter, self.pad, self.flip, self.finish = jitter, crop_pad, flip, finish
        self.epoch = 0
        self.augment = jitter > 0 or crop_pad > 0 or flip
        if self.pad > 0:
            h, w = x.shape[2], x.shape[3]
            ri = torch.tensor([abs(k - crop_pad) if k < crop_pad else (k - crop_pad if k - crop_pad < h else 2 * (h - 1) - (k - crop_pad)) for k in range(h + 2 * crop_pad)])
            ci = torch.tensor([abs(k - crop_pad) if k < crop_pad else (k - crop_pad if k - crop_pad < w else 2 * (w - 1) - (k - crop_pad)) for k in range(w + 2 * crop_pad)])
            self.src = x.index_select(2, ri).index_select(3, ci).contiguous()
        else:
            self.src = x

    def __len__(self):
        return self.x.shape[0] // self.bs

    def __iter__(self):
        n = self.x.shape[0]
        rng = self.rng(self.seed, self.epoch)
        self.epoch += 1
        perm = torch.tensor(rng.permutation(n), dtype=torch.int64)
        draws = []
        for _ in range(self.views if self.augment else 0):
            if self.jitter > 0:
                d = self.x.shape[1]
                draws.append(torch.tensor([self.jitter * normal(rng) for _ in range(n * d)], dtype=torch.float32).reshape(n, d))
            else:
                C, H, W = self.x.shape[1:]
                hp, wp = H + 2 * self.pad, W + 2 * self.pad
                off, dirs = [], []
                for _ in range(n):
                    oy, ox = rng.int(hp - H + 1), rng.int(wp - W + 1)
                    f = self.flip and uniform(rng) < 0.5
                    off.append(oy * wp + (ox + W - 1 if f else ox))
                    dirs.append(-1 if f else 1)
                draws.append((torch.tensor(off), torch.tensor(dirs)))
        for i in range(len(self)):
            idx = perm[i * self.bs:(i + 1) * self.bs]
            y = self.y.index_select(0, idx)
            if not self.augment:
                yield self._finish(self.x.index_select(0, idx)), y, None
                continue
            vs = []
            for dr in draws:
                if self.jitter > 0:
                    vs.append(self.x.index_select(0, idx).add(dr[i * self.bs:(i + 1) * self.bs]))
                else:
                    vs.append(self._finish(self._crop(self.src.index_select(0, idx), dr[0][i * self.bs:(i + 1) * self.bs], dr[1][i * self.bs:(i + 1) * self.bs])))
            yield vs[0], y, vs

    def _crop(self, rows, off, dirs):
        b, C, Hp, Wp = rows.shape
        H, W = Hp - 2 * self.pad, Wp - 2 * self.pad
        i_off = torch.arange(0, H * Wp, Wp).view(1, 1, H, 1)
        j = torch.arange(W).view(1, 1, 1, W)
        idx = off.view(b, 1, 1, 1).add(i_off).add(dirs.view(b, 1, 1, 1).mul(j))
        return rows.view(b, C, Hp * Wp).gather(2, idx.view(b, 1, H * W).expand(b, C, H * W)).view(b, C, H, W)

    def _finish(self, raw):
        return self.finish(raw) if self.finish else raw


def cycle(loader):
    while True:
        for b in loader:
            yield b


def ssl_split(labels, per_class, seed, num_classes):
    """data.sslSplit: per class (in class order) `per_class` members drawn by partial Fisher-Yates from Rng(seed, 0x73736c); sorted."""
    rng = tmrng.Rng(seed, 0x73736C)
    picked = []
    ys = labels.tolist()
    for c in range(num_classes):
        members = [i for i, v in enumerate(ys) if v == c]
        picked += [members[j] for j in tmrng.sample(rng, len(members), per_class)]
    lab = sorted(picked)
    s = set(lab)
    return torch.tensor(lab, dtype=torch.int64), torch.tensor([i for i in range(len(ys)) if i not in s], dtype=torch.int64)


@torch.no_grad()
def evaluate(net, x, y, batch=1000, finish=None, bins=15):
    was = net.training
    net.eval()
    loss = torch.zeros((), dtype=torch.float64)
    correct = torch.zeros((), dtype=torch.float64)
    cal = torch.zeros(bins, dtype=torch.float64)
    n = y.shape[0]
    for s in range(0, n, batch):
        xb = x[s:s + batch]
        xb = finish(xb) if finish else xb
        yb = y[s:s + batch]
        logits = net(xb)
        loss += F.cross_entropy(logits, yb, reduction='sum').double()
        conf, pred = F.softmax(logits.float(), 1).max(1)
        c = pred.eq(yb).float()
        correct += c.sum().double()
        b = conf.mul(bins).ceil().sub(1).clamp(0, bins - 1).long()
        cal += torch.zeros(bins).scatter_add(0, b, conf - c).double()
    net.train(was)
    e = 0.0
    for v in cal.tolist():  # summed in order, as torchmix's evaluateModel
        e += abs(v)
    return float(loss) / n, float(correct) / n, e / n


def mlp(sizes):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def f32(v):
    return struct.unpack('f', struct.pack('f', v))[0]


def moons(n, noise, seed):
    """data.moons (lib/data/toy.ts) through tmrng: the very points torchmix generates."""
    rng = tmrng.Rng(seed, 0x6D6F6F6E)
    n_out, n_in = (n + 1) // 2, n // 2
    xs, ys = [], []
    for i in range(n):
        outer = i < n_out
        m = n_out if outer else n_in
        t = 0 if m == 1 else (math.pi * (i if outer else i - n_out)) / (m - 1)
        x = math.cos(t) if outer else 1 - math.cos(t)
        y = math.sin(t) if outer else 0.5 - math.sin(t)
        xs += [f32(x + noise * rng_normal(rng)), f32(y + noise * rng_normal(rng))]
        ys.append(0 if outer else 1)
    perm = rng.permutation(n)
    return (torch.tensor([[xs[2 * j], xs[2 * j + 1]] for j in perm], dtype=torch.float32), torch.tensor([ys[j] for j in perm], dtype=torch.int64))


class NpRng:
    """The loader's draws from numpy's generator keyed by (seed, epoch) (without --same-stream)."""

    def __init__(self, seed, epoch):
        self.g = np.random.default_rng([seed, epoch])

    def permutation(self, n):
        return self.g.permutation(n).tolist()

    def int(self, n):
        return int(self.g.integers(0, n))

    def random(self):
        return float(self.g.random())

    def normal(self):
        return float(self.g.standard_normal())


def tile(x, y, batch):
    """lib/cli/ssl.ts tileToBatch: a labeled set smaller than a batch repeated ⌈batch/n⌉ times, in order."""
    n = x.shape[0]
    if n >= batch:
        return x, y
    k = -(-batch // n)
    return torch.cat([x] * k), torch.cat([y] * k)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--method', choices=['mixmatch', 'ict', 'none'], default='mixmatch')
    p.add_argument('--dataset', choices=['moons', 'fashion-mnist'], default='moons')
    p.add_argument('--data-dir', default='/usr/share/datasets/fashion-mnist')
    p.add_argument('--data-file', help='safetensors with train_x, train_y, test_x, test_y (toy points) instead of generating moons')
    p.add_argument('--toy-n', type=int, default=1000)
    p.add_argument('--toy-test', type=int, default=1000)
    p.add_argument('--toy-noise', type=float, default=0.15)
    p.add_argument('--labels', type=int, required=True, help='labeled train images in total (the same number per class)')
    p.add_argument('--epochs', type=int, default=10)
    p.add_argument('--batch-size', type=int)
    p.add_argument('--unlabeled-batch-size', type=int)
    p.add_argument('--steps-per-epoch', type=int)
    p.add_argument('--lr', type=float)
    p.add_argument('--momentum', type=float, default=0.9)
    p.add_argument('--weight-decay', type=float)
    p.add_argument('--lambda-u', type=float)
    p.add_argument('--rampup', type=float)
    p.add_argument('--alpha', type=float)
    p.add_argument('--ema', type=float)
    p.add_argument('--views', type=int)
    p.add_argument('--temperature', type=float)
    p.add_argument('--jitter', type=float, default=0.1)
    p.add_argument('--hidden', type=int, default=128)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--threads', type=int)
    p.add_argument('--out')
    p.add_argument('--same-stream', action='store_true', help="shuffles and augmentation drawn with torchmix's data RNG (tmrng): torchmix's very batches")
    p.add_argument('--print-steps', action='store_true', help='print every step loss (lockstep checks)')
    a = p.parse_args()
    if a.threads is not None:
        torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    m = a.method
    mm, ict = m == 'mixmatch', m == 'ict'
    bs = a.batch_size or (64 if mm else 100 if ict else 128)
    ubs = a.unlabeled_batch_size or bs
    lr = a.lr if a.lr is not None else (0.002 if mm else 0.1 if ict else 0.05)
    t0 = time.time()
    if a.data_file or a.dataset == 'moons':
        if a.data_file:
            from safetensors.torch import load_file
            d = load_file(a.data_file)
            train_x, train_y, test_x, test_y = d['train_x'], d['train_y'], d['test_x'], d['test_y']
        else:  # lib/cli/build.ts loadSplit: one draw of n + nTest points, split in two
            x, y = moons(a.toy_n + a.toy_test, a.toy_noise, a.seed)
            train_x, train_y, test_x, test_y = x[:a.toy_n], y[:a.toy_n], x[a.toy_n:], y[a.toy_n:]
        finish, num_classes, toy = None, int(train_y.max()) + 1, True
    else:
        import train as tr
        train_x, train_y = tr.load_split(a.data_dir, 'train')
        test_x, test_y = tr.load_split(a.data_dir, 'test')
        finish, num_classes, toy = tr.finish, 10, False
    # lib/cli/config.ts: weight decay 1e-4 (0 for toy sets); the SSL recipes' own (lib/cli/ssl.ts sslDefaults) over it.
    wd = a.weight_decay if a.weight_decay is not None else (0.02 if mm else 1e-4 if ict else 0.0 if toy else 1e-4)
    if a.labels % num_classes:
        raise SystemExit(f'--labels: {a.labels} labels cannot be split evenly over the {num_classes} classes')
    lab, unl = ssl_split(train_y, a.labels // num_classes, a.seed, num_classes)
    aug = dict(jitter=a.jitter) if toy else dict(crop_pad=4, flip=True)
    views = a.views or (MIXMATCH['views'] if mm else 1)
    rng = tmrng.Rng if a.same_stream else NpRng
    lx, ly = tile(train_x.index_select(0, lab), train_y.index_select(0, lab), bs)
    labeled = Loader(lx, ly, bs, a.seed, views=1, finish=finish, rng=rng, **aug)
    unlabeled = Loader(train_x.index_select(0, unl), train_y.index_select(0, unl), ubs, a.seed + 1, views=views, finish=finish, rng=rng, **aug)
    nu = unl.shape[0]
    net = mlp([2, a.hidden, a.hidden, num_classes]) if toy else __import__('nn_reference_models').Net(in_channels=1, num_classes=num_classes)
    net.train()
    spe = a.steps_per_epoch or max(1, nu // (ubs if m != 'none' else bs))
    over = lambda d, **kv: {**d, **{k: v for k, v in kv.items() if v is not None}}  # noqa: E731
    if mm:
        o = over(MIXMATCH, views=views, lambda_u=a.lambda_u, rampup=None if a.rampup is None else int(a.rampup), alpha=a.alpha, ema=a.ema, temperature=a.temperature)
        opt = CppAdam(net.parameters(), lr=lr)
        ev = copy.deepcopy(net).eval()
        for q in ev.parameters():
            q.requires_grad_(False)
    elif ict:
        o = over(ICT, lambda_u=a.lambda_u, rampup=a.rampup, alpha=a.alpha, alpha_u=a.alpha, ema=a.ema)
        opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=a.momentum, weight_decay=wd)
        ev = make_teacher(net).train()
    else:
        o = {}
        opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=a.momentum, weight_decay=wd)
        ev = net
    sched = None if mm else torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, a.epochs), eta_min=0)
    print(f"{a.dataset}: {a.labels} labeled ({a.labels // num_classes} per class) + {nu} unlabeled{'' if m != 'none' else ' (not used)'}, "
          f"{test_x.shape[0]} test (loaded in {time.time() - t0:.1f} s); PyTorch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"{m}, {spe} steps per epoch", file=sys.stderr)
    lit, uit = cycle(labeled), cycle(unlabeled)
    history, it = [], 0
    for epoch in range(1, a.epochs + 1):
        lr0 = opt.param_groups[0]['lr']
        loss_sum = torch.zeros((), dtype=torch.float64)
        sums = torch.zeros(2, dtype=torch.float64)
        wsum, samples = 0.0, 0
        t = time.perf_counter()
        for _ in range(spe):
            x, y, _v = next(lit)
            if m != 'none':
                ux, _uy, uv = next(uit)
            if mm:
                r = mixmatch_step(net, x, y, uv if uv is not None else [ux], num_classes, it, spe, a.epochs, o)
            elif ict:
                r = ict_step(net, ev, x, y, ux, num_classes, it, spe, a.epochs, o)
            else:
                r = dict(loss=F.cross_entropy(net(x), F.one_hot(y, num_classes).to(x.dtype)))
            opt.zero_grad()
            r['loss'].backward()
            opt.step()
            if mm:
                ema_update(ev, net, o['ema'])
                if wd > 0:
                    decoupled_weight_decay(net, wd, opt.param_groups[0]['lr'])
            elif ict:
                teacher_update(ev, net, o['ema'], it + 1)
            it += 1
            loss_sum.add_(r['loss'].detach().double(), alpha=y.shape[0])
            if m != 'none':
                sums.add_(torch.stack([r['sup'].detach().double(), r['unsup'].detach().double()]))
                wsum += r['w']
            samples += y.shape[0]
            if a.print_steps:
                print(json.dumps({'iteration': it, 'loss': float(r['loss'])}), flush=True)
        secs = time.perf_counter() - t
        rec = {'epoch': epoch, 'trainLoss': float(loss_sum) / samples, 'lr': lr0, 'seconds': secs, 'imagesPerSecond': samples / secs}
        rec['valLoss'], rec['valAcc'], rec['valEce'] = evaluate(ev, test_x, test_y, finish=finish)
        if m != 'none':
            rec['method'] = {'supLoss': float(sums[0]) / spe, 'unsupLoss': float(sums[1]) / spe, 'weight': wsum / spe}
        if sched:
            sched.step()
        history.append(rec)
        print(json.dumps(rec), flush=True)
    out = a.out or os.path.join('runs', 'baselines', f'pytorch-{m}-s{a.seed}')
    os.makedirs(out, exist_ok=True)
    import train as tr
    config = {'dataset': a.dataset, 'model': 'mlp' if toy else 'small-cnn', 'method': m, 'labels': a.labels, 'epochs': a.epochs, 'batchSize': bs,
              'unlabeledBatchSize': ubs, 'stepsPerEpoch': spe, 'lr': lr, 'optimizer': 'adam' if mm else 'sgd', 'weightDecay': wd, 'seed': a.seed,
              'impl': 'pytorch', 'torch': torch.__version__, 'methodOptions': o, **({'sameStream': True} if a.same_stream else {}),
              **({'threads': a.threads} if a.threads is not None else {})}
    tr.write_results(out, config, history)
    with open(os.path.join(out, 'results.json')) as f:
        r = json.load(f)
    r['split'] = {'labels': a.labels, 'labelsPerClass': a.labels // num_classes, 'labeled': int(lab.shape[0]), 'unlabeled': nu,
                  'unlabeledUsed': m != 'none', 'seed': a.seed, 'stepsPerEpoch': spe}
    with open(os.path.join(out, 'results.json'), 'w') as f:
        json.dump(r, f, indent=2)
        f.write('\n')


# ---- one-step parity with torchmix (test/mixup/{mixmatch,ict}.test.ts) ----

TS_KEYS = {'lambdaU': 'lambda_u', 'rampupSteps': 'rampup', 'rampupEpochs': 'rampup', 'bnUpdate': 'bn_update', 'alphaU': 'alpha_u'}


def build_arch(arch, a):
    from nn_reference_models import Net, WideResNet
    if arch == 'small-cnn':
        net = Net(in_channels=a['inChannels'], num_classes=a['numClasses'])
        net.dropout1.p = net.dropout2.p = 0.0
        return net
    if arch == 'wrn':
        return WideResNet(num_classes=a['numClasses'], depth=a.get('depth', 28), widen_factor=a.get('width', 2), in_channels=a['inChannels'])
    if arch == 'mlp':
        return mlp(a['sizes'])
    raise SystemExit(f'unknown arch {arch}')


def parity(spec_file, inputs, outputs):
    """For every case of the spec: load torchmix's weights and batch, take one step (given draws), write
    losses, gradients, the model's state after the optimizer step and the EMA / teacher state."""
    from safetensors.torch import load_file, save_file
    spec = json.load(open(spec_file))
    t = load_file(inputs)
    out = {}
    for c in spec['cases']:
        n = c['name']
        net = build_arch(c['arch'], c['archArgs']).double()
        sd = {k[len(n) + 7:]: v for k, v in t.items() if k.startswith(f'{n}/model/')}
        net.load_state_dict(sd)
        net.train()
        o = dict(MIXMATCH if c['method'] == 'mixmatch' else ICT)
        for k, v in c['opts'].items():
            o[TS_KEYS.get(k, k)] = v
        x, y = t[f'{n}/x'], t[f'{n}/y']
        us = [t[f'{n}/u{k}'] for k in range(c['K'])]
        ev = copy.deepcopy(net)
        for q in ev.parameters():
            q.requires_grad_(False)
        if c['method'] == 'mixmatch':
            ev.eval()
            r = mixmatch_step(net, x, y, us, c['numClasses'], c['it'], c['spe'], c['epochs'], o, draws={'lam': t[f'{n}/lam'], 'perm': t[f'{n}/perm']})
        else:
            ev.train()
            d = {k: t[f'{n}/{k}'] for k in ('lam_s', 'perm_s', 'lam_u', 'perm_u')}
            r = ict_step(net, ev, x, y, us[0], c['numClasses'], c['it'], c['spe'], c['epochs'], o, draws=d)
        opt = CppAdam(net.parameters(), lr=c['lr']) if c['optimizer'] == 'adam' else torch.optim.SGD(net.parameters(), lr=c['lr'])
        opt.zero_grad()
        r['loss'].backward()
        for k, q in net.named_parameters():
            if q.grad is not None:
                out[f'{n}/grad/{k}'] = q.grad.detach().clone()
        opt.step()
        if c['method'] == 'mixmatch':
            ema_update(ev, net, o['ema'])
        else:
            teacher_update(ev, net, o['ema'], c['it'] + 1)
        for k, v in net.state_dict().items():
            out[f'{n}/after/{k}'] = v.detach().clone()
        for k, v in ev.state_dict().items():
            out[f'{n}/eval/{k}'] = v.detach().clone()
        for k in ('loss', 'sup', 'unsup'):
            out[f'{n}/{k}'] = r[k].detach().reshape(1).double()
        out[f'{n}/w'] = torch.tensor([r['w']], dtype=torch.float64)
    save_file({k: v.contiguous() for k, v in out.items()}, outputs)


if __name__ == '__main__':
    if len(sys.argv) > 1 and sys.argv[1] == 'parity':
        parity(*sys.argv[2:5])
    else:
        main()
