"""One MixMatch or ICT training step with the Python reference (scripts/baselines/semisup.py) timed by
phase; the PyTorch side of run.sh (same workload as step.ts). The optimizer is torch.optim's own (Adam,
SGD): what a PyTorch user runs. Prints one JSON line like step.ts."""
import json, os, sys, time
import torch
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', '..', 'baselines'))
sys.path.insert(0, os.path.join(here, '..', '..', 'fixtures'))
import semisup as ss  # noqa: E402
from nn_reference_models import Net  # noqa: E402

method = sys.argv[1] if len(sys.argv) > 1 else 'mixmatch'
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 1
steps = int(sys.argv[3]) if len(sys.argv) > 3 else 20
torch.set_num_threads(threads)
torch.manual_seed(0)
mm = method == 'mixmatch'
net = Net()
net.train()
if mm:
    opt = torch.optim.Adam(net.parameters(), lr=0.002)
    ev = ss.make_teacher(net).eval()
else:
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    ev = ss.make_teacher(net).train()
B, U = (64, 64) if mm else (100, 100)
x, y = torch.randn(B, 1, 28, 28), torch.randint(0, 10, (B,))
us = [torch.randn(U, 1, 28, 28) for _ in range(2 if mm else 1)]
rows = []
for i in range(steps + 3):
    a = time.perf_counter()
    if mm:
        r = ss.mixmatch_step(net, x, y, us, 10, i, 100, 10, ss.MIXMATCH)
    else:
        r = ss.ict_step(net, ev, x, y, us[0], 10, i, 100, 10, ss.ICT)
    r['loss'].item()
    b = time.perf_counter()
    opt.zero_grad()
    r['loss'].backward()
    c = time.perf_counter()
    opt.step()
    if mm:
        ss.ema_update(ev, net, 0.999)
        ss.decoupled_weight_decay(net, 0.02, 0.002)
    else:
        ss.teacher_update(ev, net, 0.999, i + 1)
    d = time.perf_counter()
    if i >= 3:
        rows.append([b - a, c - b, d - c, d - a])
med = lambda k: sorted(r[k] for r in rows)[len(rows) // 2] * 1000  # noqa: E731
print(json.dumps({'impl': 'pytorch', 'method': method, 'threads': threads, 'forward': med(0), 'backward': med(1), 'step': med(2), 'total': med(3)}))
