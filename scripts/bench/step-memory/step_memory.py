#!/usr/bin/env python3
"""Peak memory of one training step in Python PyTorch; prints one JSON line. The twin of step-memory.ts.

    step_memory.py --model smallcnn|preact18 --threads N [--malloc default|tuned]

Step = forward, cross-entropy, grads set to None, backward, torch.optim.SGD(lr 0.01, momentum 0.9).
rss = VmHWM - VmRSS before the step (high-water mark reset by writing 5 to /proc/self/clear_refs);
heap = peak of bytes live in malloc above those before it (heapcount.so, when run.sh preloads it).
`first`: the first step after setup; `steady`: the median of 3 steps after 2 more. --malloc only
labels the row: run.sh sets torchmix's tuned glibc setting through MALLOC_* for `tuned`.
"""
import argparse
import json
import os
import re
import struct
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'fixtures'))
from nn_reference_models import Net, preactresnet18  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument('--model', required=True)
ap.add_argument('--threads', type=int, required=True)
ap.add_argument('--malloc', default='default')
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
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)


def step():
    loss = F.cross_entropy(model(x), y)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return loss.item()


def kib(field):
    with open('/proc/self/status') as f:
        return int(re.search(rf'^{field}:\s+(\d+) kB', f.read(), re.M).group(1)) * 1024


fd = os.open(os.environ['STEPMEM_COUNTERS'], os.O_RDWR) if os.environ.get('STEPMEM_COUNTERS') else -1


def heap():
    return struct.unpack('qq', os.pread(fd, 16, 0))


def measure():
    heap0 = 0
    if fd >= 0:
        heap0 = heap()[0]
        os.pwrite(fd, struct.pack('q', heap0), 8)  # peak := current
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')
    rss0 = kib('VmRSS')
    step()
    rss = kib('VmHWM') - rss0
    return {'rss': rss, 'heap': heap()[1] - heap0 if fd >= 0 else None}


first = measure()
step()
step()
steady = [measure() for _ in range(3)]
med = lambda v: sorted(v)[1]  # noqa: E731
print(json.dumps({'impl': 'pytorch', 'model': a.model, 'threads': torch.get_num_threads(), 'malloc': a.malloc, 'scopes': None, 'first': first,
                  'steady': {'rss': med([s['rss'] for s in steady]), 'heap': med([s['heap'] for s in steady]) if fd >= 0 else None}}))
