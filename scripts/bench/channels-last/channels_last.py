#!/usr/bin/env python3
"""Channels-last vs contiguous training step in Python PyTorch, in ONE process; the twin of
channels-last.ts (same alternating blocks, one JSON line per round).

    channels_last.py --model smallcnn|preact18 [--threads 1] [--batch N] [--rounds 5] [--steps S] [--warmup W]

Two copies of the model (the same weights), one with model.to(memory_format=torch.channels_last) and
input x.contiguous(memory_format=torch.channels_last), each with torch.optim.SGD(lr 0.01, momentum 0.9).
Models: scripts/fixtures/nn_reference_models.py (Net = the small CNN, PreActResNet-18).
"""
import argparse
import copy
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'fixtures'))
from nn_reference_models import Net, preactresnet18  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument('--model', default='smallcnn', choices=['smallcnn', 'preact18'])
ap.add_argument('--threads', type=int, default=1)
ap.add_argument('--batch', type=int, default=None)
ap.add_argument('--rounds', type=int, default=5)
ap.add_argument('--steps', type=int, default=None)
ap.add_argument('--warmup', type=int, default=2)
a = ap.parse_args()
small = a.model == 'smallcnn'
batch = a.batch or (128 if small else 32)
steps = a.steps or (20 if small else 6)
torch.set_num_threads(a.threads)
torch.manual_seed(0)
base = (Net() if small else preactresnet18()).train()
twin = copy.deepcopy(base).to(memory_format=torch.channels_last).train()
x = torch.randn(batch, *((1, 28, 28) if small else (3, 32, 32)))
xl = x.contiguous(memory_format=torch.channels_last)
y = torch.randint(0, 10, (batch,))
runs = [('contiguous', base, x, torch.optim.SGD(base.parameters(), lr=0.01, momentum=0.9)),
        ('channelsLast', twin, xl, torch.optim.SGD(twin.parameters(), lr=0.01, momentum=0.9))]


def step(r):
    _, model, inp, opt = r
    loss = F.cross_entropy(model(inp), y)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return loss.item()


for r in runs:
    for _ in range(a.warmup):
        step(r)
for rnd in range(a.rounds):
    ms, loss = {}, {}
    for r in (runs if rnd % 2 == 0 else runs[::-1]):  # ABBA order across rounds
        t0 = time.perf_counter()
        for _ in range(steps):
            loss[r[0]] = step(r)
        ms[r[0]] = (time.perf_counter() - t0) * 1000 / steps
    print(json.dumps({'impl': 'pytorch', 'model': a.model, 'batch': batch, 'threads': torch.get_num_threads(), 'round': rnd,
                      'msContiguous': ms['contiguous'], 'msChannelsLast': ms['channelsLast'],
                      'lossContiguous': loss['contiguous'], 'lossChannelsLast': loss['channelsLast'], 'torch': torch.__version__}),
          flush=True)
