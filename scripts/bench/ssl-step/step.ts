// One MixMatch or ICT training step (small CNN, Fashion-MNIST-sized inputs) timed by phase — the torchmix
// side of run.sh. MixMatch: 64 labeled + 64 unlabeled × 2 views, Adam, EMA + decoupled weight decay
// after the step; ICT: 100 + 100, SGD (momentum, weight decay), teacher update after the step.
// Prints one JSON line: ms per step (median over the timed steps) for the method's step (guess/teacher
// and training forwards, losses), backward, optimizer step + after-step updates, and the total.
import { torch, nn, optim, mixup } from '../../../lib/index.js';
import type { StepContext } from '../../../lib/train/step.js';

const method = process.argv[2] ?? 'mixmatch';
const threads = Number(process.argv[3] ?? 1);
const steps = Number(process.argv[4] ?? 20);
torch.setNumThreads(threads);
torch.manualSeed(0);
const model = nn.models.smallCNN();
const mm = method === 'mixmatch';
const m = mm ? mixup.mixmatch() : mixup.ict();
m.attach(model);
const opt = mm ? new optim.Adam(model.parameters(), { lr: 0.002 }) : new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 1e-4 });
const kernels = model.parameters().filter((p) => p.ndim >= 2); // decoupledWeightDecay's 'kernels' scope
const [B, U] = mm ? [64, 64] : [100, 100];
const x = torch.randn([B, 1, 28, 28]),
  y = torch.randint(0, 10, [B]);
const views = Array.from({ length: mm ? 2 : 1 }, () => torch.randn([U, 1, 28, 28]));
const unl = { x: views[0], y: torch.randint(0, 10, [U]), index: torch.arange(U), ...(mm ? { views } : {}) };
const rows: number[][] = [];
for (let i = 0; i < steps + 3; i++)
  torch.tidy(() => {
    const ctx: StepContext = {
      model: model,
      batches: { train: { x, y, index: torch.arange(B) }, unlabeled: unl },
      numClasses: 10,
      epoch: 0,
      totalEpochs: 10,
      iteration: i,
      batchesPerEpoch: 100,
    };
    const a = performance.now();
    const loss = m.trainStep(ctx).loss;
    loss.item();
    const b = performance.now();
    opt.zeroGrad();
    loss.backward();
    const c = performance.now();
    opt.step();
    m.afterOptimizerStep!(ctx);
    if (mm) torch.noGrad(() => kernels.forEach((p) => p.mul_(1 - 0.02 * 0.002)));
    const d = performance.now();
    if (i >= 3) rows.push([b - a, c - b, d - c, d - a]);
  });
const med = (k: number) => rows.map((r) => r[k]).sort((p, q) => p - q)[Math.floor(rows.length / 2)];
console.log(JSON.stringify({ impl: 'torchmix', method, threads, forward: med(0), backward: med(1), step: med(2), total: med(3) }));
