# The PyTorch side of amp-step.ts: the same step, fp32 vs torch.autocast('cpu', bfloat16).
# Usage: .venv/bin/python scripts/bench/amp-step/amp_step.py [steps] [threads]
import json, os, sys, time
import torch
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures'))
from nn_reference_models import build  # noqa: E402

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 20
torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
torch.manual_seed(0)
model = build('smallcnn')
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
x = torch.randn(128, 1, 28, 28)
y = torch.randint(0, 10, (128,))


def step(amp):
    with torch.autocast('cpu', dtype=torch.bfloat16, enabled=amp):
        loss = torch.nn.functional.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()


out = {}
for rnd in (0, 1):
    for amp in (False, True):
        for _ in range(3):
            step(amp)
        c0, t0 = time.process_time(), time.perf_counter()
        for _ in range(steps):
            step(amp)
        wall, cpu = (time.perf_counter() - t0) / steps * 1000, (time.process_time() - c0) / steps * 1000
        k = 'bf16' if amp else 'fp32'
        prev = out.get(k)
        out[k] = {'wallMs': wall, 'cpuMs': cpu} if prev is None else {'wallMs': min(prev['wallMs'], wall), 'cpuMs': min(prev['cpuMs'], cpu)}
print(json.dumps({'torch': torch.__version__, 'threads': torch.get_num_threads(), 'steps': steps, **out}))
