#!/usr/bin/env python3
"""One timed training loop in Python PyTorch; prints one JSON line.

    train_step.py --model smallcnn|preact18 --threads N --steps S --warmup W --optim hand|lib

Step = forward, cross-entropy, grads set to None, backward, SGD (lr 0.01, momentum 0.9):
`hand` is the update written out (buf = 0.9·buf + g; p -= lr·buf under no_grad), the same as
train-step.ts does by hand; `lib` is torch.optim.SGD(momentum=0.9) (its default foreach path).
Models: the reference models in scripts/fixtures/nn_reference_models.py (Net = the small CNN,
PreActResNet-18), the same architectures as nn.models.smallCNN() / preactResNet18().
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'fixtures'))
from nn_reference_models import Net, preactresnet18  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument('--model', required=True)
ap.add_argument('--threads', type=int, required=True)
ap.add_argument('--steps', type=int, default=20)
ap.add_argument('--warmup', type=int, default=3)
ap.add_argument('--optim', default='hand')
a = ap.parse_args()

torch.set_num_threads(a.threads)
torch.manual_seed(0)
if a.model == 'smallcnn':
    model, shape = Net(), (128, 1, 28, 28)
else:
    model, shape = preactresnet18(), (32, 3, 32, 32)
model.train()
x = torch.randn(*shape)
y = torch.randint(0, 10, (shape[0],))
params = list(model.parameters())
lr = 0.01
opt = torch.optim.SGD(params, lr=lr, momentum=0.9) if a.optim == 'lib' else None
bufs = [torch.zeros_like(p) for p in params]


def step():
    loss = F.cross_entropy(model(x), y)
    if opt:
        opt.zero_grad(set_to_none=True)
    else:
        for p in params:
            p.grad = None
    loss.backward()
    if opt:
        opt.step()
    else:
        with torch.no_grad():
            for p, b in zip(params, bufs):
                b.mul_(0.9).add_(p.grad)
                p.sub_(b, alpha=lr)
    return loss


for _ in range(a.warmup):
    step()
t0 = time.perf_counter()
for _ in range(a.steps):
    loss = step()
ms = (time.perf_counter() - t0) * 1000 / a.steps
print(json.dumps({'impl': 'pytorch', 'model': a.model, 'threads': torch.get_num_threads(), 'optim': a.optim, 'msPerStep': ms,
                  'loss': loss.item(), 'torch': torch.__version__}))
