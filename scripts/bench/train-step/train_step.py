#!/usr/bin/env python3
"""One timed training loop in Python PyTorch; prints one JSON line.

    train_step.py --model smallcnn|preact18 --threads N --steps S --warmup W --optim hand|lib
                  [--device cpu|cuda] [--batch N] [--amp bf16|fp16] [--channels-last]

Step = forward, cross-entropy, grads set to None, backward, SGD (lr 0.01, momentum 0.9):
`hand` is the update written out (buf = 0.9·buf + g; p -= lr·buf under no_grad), the same as
train-step.ts does by hand; `lib` is torch.optim.SGD(momentum=0.9) (its default foreach path).
Models: the reference models in scripts/fixtures/nn_reference_models.py (Net = the small CNN,
PreActResNet-18), the same architectures as nn.models.smallCNN() / preactResNet18().
Weights and data are drawn on the CPU (seed 0) and then moved, so every device sees the same ones.

--amp: the forward and the loss under torch.autocast(device, dtype); fp16 scales the loss with
torch.amp.GradScaler (needs --optim lib: the scaler steps an optimizer), bf16 needs no scaler.
--channels-last: model.to(memory_format=torch.channels_last) and the input likewise.

Memory of the timed loop (the same method as train-step.ts):
- cuda: torch.cuda.reset_peak_memory_stats() after the warm-up, then max_memory_allocated() after
  the timed steps (peakAllocMiB), and memory_reserved() then (reservedMiB: the caching allocator's
  segments, which only grow without empty_cache(), so this is also the peak reserved).
- cpu: peak RSS above the post-setup baseline: after setup (model, data, optimizer), before the
  warm-up, write '5' to /proc/self/clear_refs (resets VmHWM to the current RSS) and read VmRSS;
  after the timed steps VmHWM − that baseline (peakRssMiB). From before the warm-up because freed
  heap can stay resident: a step's peak shows in its first run.
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
ap.add_argument('--model', required=True, choices=['smallcnn', 'preact18'])
ap.add_argument('--threads', type=int, required=True)
ap.add_argument('--steps', type=int, default=20)
ap.add_argument('--warmup', type=int, default=3)
ap.add_argument('--optim', default='hand', choices=['hand', 'lib'])
ap.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
ap.add_argument('--batch', type=int, default=None)
ap.add_argument('--amp', default=None, choices=['bf16', 'fp16'])
ap.add_argument('--channels-last', action='store_true')
a = ap.parse_args()
if a.device == 'cuda' and not torch.cuda.is_available():
    sys.exit('train_step.py: --device cuda but torch.cuda.is_available() is False')
if a.amp == 'fp16' and a.optim != 'lib':
    sys.exit('train_step.py: --amp fp16 needs --optim lib (GradScaler steps an optimizer)')
MiB = 1024 * 1024


def proc_status_kib(key):
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(key + ':'):
                return int(line.split()[1])
    return None


def reset_hwm():
    """Resets VmHWM and returns the baseline RSS in bytes (None where /proc cannot)."""
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
        return proc_status_kib('VmRSS') * 1024
    except (OSError, TypeError):
        return None


torch.set_num_threads(a.threads)
torch.manual_seed(0)
if a.model == 'smallcnn':
    model, shape = Net(), (a.batch or 128, 1, 28, 28)
else:
    model, shape = preactresnet18(), (a.batch or 32, 3, 32, 32)
model.train()
x = torch.randn(*shape)
y = torch.randint(0, 10, (shape[0],))
dev = torch.device(a.device)
model.to(dev)
x, y = x.to(dev), y.to(dev)
if a.channels_last:
    model.to(memory_format=torch.channels_last)
    x = x.contiguous(memory_format=torch.channels_last)
params = list(model.parameters())
lr = 0.01
opt = torch.optim.SGD(params, lr=lr, momentum=0.9) if a.optim == 'lib' else None
bufs = [torch.zeros_like(p) for p in params]
amp_dtype = {'bf16': torch.bfloat16, 'fp16': torch.float16}.get(a.amp)
scaler = torch.amp.GradScaler(a.device) if a.amp == 'fp16' else None
cuda = a.device == 'cuda'


def step():
    with torch.autocast(a.device, dtype=amp_dtype, enabled=amp_dtype is not None):
        loss = F.cross_entropy(model(x), y)
    if opt:
        opt.zero_grad(set_to_none=True)
    else:
        for p in params:
            p.grad = None
    if scaler:
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        return loss
    loss.backward()
    if opt:
        opt.step()
    else:
        with torch.no_grad():
            for p, b in zip(params, bufs):
                b.mul_(0.9).add_(p.grad)
                p.sub_(b, alpha=lr)
    return loss


base_rss = None if cuda else reset_hwm()
for _ in range(a.warmup):
    step()
if cuda:
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
t0 = time.perf_counter()
for _ in range(a.steps):
    loss = step()
if cuda:
    torch.cuda.synchronize()
ms = (time.perf_counter() - t0) * 1000 / a.steps
row = {'impl': 'pytorch', 'model': a.model, 'threads': torch.get_num_threads(), 'optim': a.optim, 'device': a.device, 'batch': shape[0],
       'amp': a.amp or 'none', 'channelsLast': a.channels_last, 'msPerStep': ms, 'stepsPerSec': 1000 / ms, 'loss': loss.item(),
       'torch': torch.__version__}
if cuda:
    row['peakAllocMiB'] = torch.cuda.max_memory_allocated() / MiB
    row['reservedMiB'] = torch.cuda.memory_reserved() / MiB
else:
    hwm = proc_status_kib('VmHWM')
    row['peakRssMiB'] = (hwm * 1024 - base_rss) / MiB if base_rss is not None and hwm is not None else None
print(json.dumps(row))
