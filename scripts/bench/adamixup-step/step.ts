// One AdaMixup training step (small CNN, batch 128, SGD) timed by phase — torchmix side of run.sh.
// Prints one JSON line: ms per step for apply (generator + classifier + discriminator forwards),
// backward, optimizer step, and the total; median over the timed steps.
import { torch, nn, optim, mixup } from '../../../lib/index.js';

const threads = Number(process.argv[2] ?? 2);
const steps = Number(process.argv[3] ?? 20);
torch.setNumThreads(threads);
torch.manualSeed(0);
const model = nn.models.smallCNN();
const method = mixup.adamixup();
const policy = method.attach(model);
const opt = new optim.SGD([...model.parameters(), ...policy.parameters()], { lr: 0.05, momentum: 0.9, weightDecay: 1e-4 });
const x = torch.randn([128, 1, 28, 28]),
  y = torch.randint(0, 10, [128]);
const rows: number[][] = [];
for (let i = 0; i < steps + 3; i++)
  torch.tidy(() => {
    const a = performance.now();
    const r = method.apply({ x, y, numClasses: 10, model });
    const loss = r.loss(r.output!);
    loss.item();
    const b = performance.now();
    opt.zeroGrad();
    loss.backward();
    const c = performance.now();
    opt.step();
    const d = performance.now();
    if (i >= 3) rows.push([b - a, c - b, d - c, d - a]);
  });
const med = (k: number) => rows.map((r) => r[k]).sort((p, q) => p - q)[Math.floor(rows.length / 2)];
console.log(JSON.stringify({ impl: 'torchmix', threads, forward: med(0), backward: med(1), step: med(2), total: med(3) }));
