"""Python PyTorch side of scripts/bench/overhead (same workloads as overhead.cc / overhead.ts).

    python overhead.py [--threads N] [--add-iters N] [--steps N] [--warmup-steps N] [--beta step|once]

Prints one JSON line. Written the way a PyTorch user would write it: a.add(b) in a loop;
a mixup step with torch.distributions.Beta(1., 1.).sample(), randperm, index_select,
F.linear/F.relu/F.cross_entropy, backward, p.sub_(p.grad, alpha=lr) under no_grad, grads set to None.
--beta step (default): Beta(1., 1.) is constructed inside every step; --beta once: before the loop.
"""
import argparse
import json
import math
import time

import torch
import torch.nn.functional as F


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--add-iters", type=int, default=200000)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--warmup-steps", type=int, default=200)
    ap.add_argument("--beta", choices=["step", "once"], default="step")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    # ---- (a) per-op add ----------------------------------------------------------------------
    a, b = torch.randn(4), torch.randn(4)
    for _ in range(args.add_iters // 4):
        a.add(b)
    t0 = time.perf_counter()
    for _ in range(args.add_iters):
        a.add(b)
    add_us = (time.perf_counter() - t0) / args.add_iters * 1e6

    # ---- (b) mixup step ----------------------------------------------------------------------
    B, lr = 128, 0.05
    x = torch.randn(B, 2)
    y = torch.randint(2, (B,))

    def weight(out: int, inp: int) -> torch.Tensor:
        return (torch.randn(out, inp) * (1.0 / math.sqrt(inp))).requires_grad_()

    params = [weight(64, 2), torch.zeros(64, requires_grad=True),
              weight(64, 64), torch.zeros(64, requires_grad=True),
              weight(2, 64), torch.zeros(2, requires_grad=True)]
    w1, b1, w2, b2, w3, b3 = params
    beta = torch.distributions.Beta(1.0, 1.0)  # --beta once: built once, like a mixup method object
    per_step = args.beta == "step"

    def step() -> None:
        lam = torch.distributions.Beta(1.0, 1.0).sample() if per_step else beta.sample()
        perm = torch.randperm(B)
        x_mix = lam * x + (1 - lam) * x.index_select(0, perm)
        h = F.relu(F.linear(x_mix, w1, b1))
        h = F.relu(F.linear(h, w2, b2))
        out = F.linear(h, w3, b3)
        loss = lam * F.cross_entropy(out, y) + (1 - lam) * F.cross_entropy(out, y.index_select(0, perm))
        loss.backward()
        with torch.no_grad():
            for p in params:
                p.sub_(p.grad, alpha=lr)
                p.grad = None

    for _ in range(args.warmup_steps):
        step()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(args.steps):
        step()
    step_cpu_ms = (time.process_time() - c0) / args.steps * 1e3  # all threads, like the C++ and TS sides
    step_ms = (time.perf_counter() - t0) / args.steps * 1e3

    with torch.no_grad():  # sanity, outside the timed region
        h = F.relu(F.linear(F.relu(F.linear(x, w1, b1)), w2, b2))
        final_loss = F.cross_entropy(F.linear(h, w3, b3), y).item()

    print(json.dumps({
        "impl": "python", "libtorch": torch.__version__, "threads": torch.get_num_threads(),
        "add_us": round(add_us, 4), "step_ms": round(step_ms, 4),
        "step_cpu_ms": round(step_cpu_ms, 4), "beta": args.beta,
        "add_iters": args.add_iters, "steps": args.steps, "final_loss": round(final_loss, 4),
    }))


if __name__ == "__main__":
    main()
