#!/usr/bin/env python3
"""PyTorch DDP (Gloo) throughput of the small CNN on the CPU, the anchor for ddp-bench.ts.

    ddp_bench.py --procs R [--steps 20] [--warmup 3] [--batch 64] [--mode sync|nosync]

R processes (torch.multiprocessing.spawn) × 1 thread, per-rank batch B, SGD(lr 0.01, momentum 0.9),
the same Net as nn.models.smallCNN() (scripts/fixtures/nn_reference_models.py), wrapped in
torch.nn.parallel.DistributedDataParallel (defaults: 25 MB buckets, broadcast_buffers). --mode
nosync runs every step under ddp.no_sync(). --procs 1 trains without DDP. Prints one JSON line:
the slowest rank's mean ms/step and images/s over all ranks.
"""
import argparse
import json
import os
import socket
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'fixtures'))
from nn_reference_models import Net  # noqa: E402


def rank_main(r, a, port, q):
    torch.set_num_threads(1)
    if a.procs > 1:
        dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}', rank=r, world_size=a.procs)
    torch.manual_seed(0)
    model = Net()
    model.train()
    ddp = torch.nn.parallel.DistributedDataParallel(model) if a.procs > 1 else None
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    torch.manual_seed(1 + r)
    x = torch.randn(a.batch, 1, 28, 28)
    y = torch.randint(0, 10, (a.batch,))
    net = ddp or model
    t0 = 0.0
    for i in range(a.warmup + a.steps):
        if i == a.warmup:
            t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        if ddp is not None and a.mode == 'nosync':
            with ddp.no_sync():
                F.cross_entropy(net(x), y).backward()
        else:
            F.cross_entropy(net(x), y).backward()
        opt.step()
    q.put((time.perf_counter() - t0) * 1000 / a.steps)
    if a.procs > 1:
        dist.destroy_process_group()


if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--procs', type=int, default=2)
    ap.add_argument('--steps', type=int, default=20)
    ap.add_argument('--warmup', type=int, default=3)
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--mode', default='sync')
    a = ap.parse_args()
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    ctx = mp.get_context('spawn')
    q = ctx.SimpleQueue()
    mp.start_processes(rank_main, args=(a, port, q), nprocs=a.procs, start_method='spawn')
    ms = max(q.get() for _ in range(a.procs))
    print(json.dumps({'impl': 'pytorch', 'torch': torch.__version__, 'procs': a.procs, 'mode': a.mode, 'batch': a.batch, 'steps': a.steps,
                      'msPerStep': ms, 'imagesPerSecond': a.procs * a.batch * 1000 / ms}))
