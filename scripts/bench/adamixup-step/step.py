"""One AdaMixup training step with the Python reference (scripts/baselines/adamixup.py) timed by phase;
the PyTorch side of run.sh. Prints one JSON line like step.ts."""
import json, os, sys, time
import torch
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', '..', 'baselines'))
sys.path.insert(0, os.path.join(here, '..', '..', 'fixtures'))
from adamixup import AdaMixupPolicy, adamixup_step, trunc_normal  # noqa: E402
from nn_reference_models import Net  # noqa: E402

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 20
torch.set_num_threads(threads)
torch.manual_seed(0)
net, policy = Net(), AdaMixupPolicy(Net())
opt = torch.optim.SGD(list(net.parameters()) + list(policy.parameters()), lr=0.05, momentum=0.9, weight_decay=1e-4)
x, y = torch.randn(128, 1, 28, 28), torch.randint(0, 10, (128,))
rows = []
for i in range(steps + 3):
    a = time.perf_counter()
    perm, m1, m2, u = torch.randperm(128), trunc_normal((64, 1, 28, 28)), trunc_normal((64, 1, 28, 28)), torch.rand(64)
    r = adamixup_step(net, policy, x, y, 10, perm, m1, m2, u)
    r['loss'].item()
    b = time.perf_counter()
    opt.zero_grad()
    r['loss'].backward()
    c = time.perf_counter()
    opt.step()
    d = time.perf_counter()
    if i >= 3:
        rows.append([b - a, c - b, d - c, d - a])
med = lambda k: sorted(r[k] for r in rows)[len(rows) // 2] * 1000  # noqa: E731
print(json.dumps({'impl': 'pytorch', 'threads': threads, 'forward': med(0), 'backward': med(1), 'step': med(2), 'total': med(3)}))
