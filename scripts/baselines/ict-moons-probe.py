#!/usr/bin/env python3
"""ICT on two moons in plain PyTorch, independent of torchmix and of semisup.py: the paper's toy setting
(Verma et al. 2019, Figure 1: an MLP of three hidden ReLU layers of 20 units) on torchmix's split sizes
(5 labels per class, 2,000 unlabeled points, noise 0.1, 1,000 test points), to ask whether any ICT
setting reaches 95 % there (docs/RESULTS.md, "Two moons"). One step as in semisup.py's ict_step:
supervised mixup (optional), teacher targets mixed as logits (official code) or probabilities (paper),
MSE on softmax, sigmoid ramp-up, mean-teacher EMA with the warm-up rule; teacher and student accuracy.

  python scripts/baselines/ict-moons-probe.py '{"steps": 2000}' '{"seed": [1, 2, 3], "target": ["probs", "logits"], "lam_u": [0, 10, 30]}'

The first argument fixes settings, the second crosses lists of them (2 processes).
"""
import copy, itertools, json, math, sys
from multiprocessing import Pool

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def make_moons(n, noise, seed):
    """scikit-learn's make_moons (shuffled, Gaussian noise)."""
    r = np.random.RandomState(seed)
    a, b = np.linspace(0, np.pi, n // 2), np.linspace(0, np.pi, n - n // 2)
    X = np.vstack([np.c_[np.cos(a), np.sin(a)], np.c_[1 - np.cos(b), 1 - np.sin(b) - 0.5]])
    y = np.r_[np.zeros(n // 2, int), np.ones(n - n // 2, int)]
    p = r.permutation(n)
    return torch.tensor(X[p] + r.normal(scale=noise, size=X.shape), dtype=torch.float32), torch.tensor(y[p])


def run(seed=1, hidden=(20, 20, 20), steps=2000, lr=0.01, opt='adam', alpha=1.0, alpha_u=0.2, lam_u=10.0, rampup=0.25,
        ema=0.999, target='probs', noise=0.1, n_unl=2000, bu=100, sup_mix=True, jitter=0.0):
    torch.set_num_threads(1)
    X, y = make_moons(n_unl + 10, noise, seed)
    li = torch.cat([(y == 0).nonzero().flatten()[:5], (y == 1).nonzero().flatten()[:5]])
    xl, yl = X[li], y[li]
    Xt, yt = make_moons(1000, noise, seed + 1000)
    torch.manual_seed(seed)
    layers, d = [], 2
    for h in hidden:
        layers += [nn.Linear(d, h), nn.ReLU()]
        d = h
    m = nn.Sequential(*layers, nn.Linear(d, 2))
    teacher = copy.deepcopy(m).requires_grad_(False)
    o = torch.optim.Adam(m.parameters(), lr=lr) if opt == 'adam' else torch.optim.SGD(m.parameters(), lr=lr, momentum=0.9)
    for s in range(steps):
        w = lam_u * (math.exp(-5 * (1 - s / (rampup * steps)) ** 2) if s < rampup * steps else 1.0)
        if sup_mix and alpha > 0:
            lam, perm = float(np.random.beta(alpha, alpha)), torch.randperm(len(xl))
            out = m(lam * xl + (1 - lam) * xl[perm])
            sup = lam * F.cross_entropy(out, yl) + (1 - lam) * F.cross_entropy(out, yl[perm])
        else:
            sup = F.cross_entropy(m(xl), yl)
        u = X[torch.randint(0, len(X), (bu,))]
        if jitter:
            u = u + jitter * torch.randn_like(u)
        with torch.no_grad():
            t = teacher(u)
        lu, pu = float(np.random.beta(alpha_u, alpha_u)), torch.randperm(bu)
        tgt = F.softmax(lu * t + (1 - lu) * t[pu], 1) if target == 'logits' else lu * F.softmax(t, 1) + (1 - lu) * F.softmax(t, 1)[pu]
        loss = sup + w * F.mse_loss(F.softmax(m(lu * u + (1 - lu) * u[pu]), 1), tgt)
        o.zero_grad()
        loss.backward()
        o.step()
        a = min(1 - 1 / (s + 2), ema)
        with torch.no_grad():
            for pt, ps in zip(teacher.parameters(), m.parameters()):
                pt.mul_(a).add_(ps, alpha=1 - a)
    with torch.no_grad():
        return tuple((net(Xt).argmax(1) == yt).float().mean().item() for net in (teacher, m))


def point(kw):
    np.random.seed(kw.get('seed', 1))
    return kw, run(**kw)


if __name__ == '__main__':
    base = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    axes = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    pts = [dict(base, **dict(zip(axes, v))) for v in itertools.product(*axes.values())]
    with Pool(2) as p:
        for kw, (acc_t, acc_s) in p.imap(point, pts):
            print(json.dumps({k: kw[k] for k in axes}), f'teacher {100 * acc_t:.1f} %  student {100 * acc_s:.1f} %', flush=True)
