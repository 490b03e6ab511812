// One timed training loop in torchmix; prints one JSON line. The twin of train_step.py:
//   npx tsx scripts/bench/train-step/train-step.ts --model smallcnn|preact18 --threads N --steps S --warmup W --optim hand|lib
// Step (one torch.tidy): forward, cross-entropy, grads set to null, backward, SGD lr 0.01 momentum
// 0.9 — `hand`: buf.mul_(0.9).add_(g); p.sub_(buf, lr) under noGrad (as train_step.py's `hand`);
// `lib`: optim.SGD (native torch::optim), when the addon has it.
import { torch, nn } from '../../../lib/index.js';
import { N } from '../../../lib/torch/native.js';
import * as optim from '../../../lib/optim/index.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
const modelName = args.get('model') ?? 'smallcnn';
const threads = Number(args.get('threads') ?? 1);
const steps = Number(args.get('steps') ?? 20);
const warmup = Number(args.get('warmup') ?? 3);
const optName = args.get('optim') ?? 'hand';
if (optName === 'lib' && typeof N.optimCreate !== 'function') throw new Error('--optim lib: this addon has no native optimizers');

torch.setNumThreads(threads);
torch.manualSeed(0);
const F = nn.functional;
const [model, shape] =
  modelName === 'smallcnn' ? [nn.models.smallCNN(), [128, 1, 28, 28]] : [nn.models.preactResNet18({ inChannels: 3, numClasses: 10 }), [32, 3, 32, 32]];
model.train();
const x = torch.randn(shape);
const y = torch.randint(0, 10, [shape[0]]);
const params = model.parameters();
const lr = 0.01;
const opt = optName === 'lib' ? new optim.SGD(params, { lr, momentum: 0.9 }) : null;
const bufs = params.map((p) => torch.keep(torch.zerosLike(p)));

function step(): torch.Tensor {
  return torch.tidy(() => {
    const loss = F.crossEntropy(model.forward(x), y);
    if (opt) opt.zeroGrad({ setToNone: true });
    else model.zeroGrad();
    loss.backward();
    if (opt) opt.step();
    else
      torch.noGrad(() => {
        for (let i = 0; i < params.length; i++) {
          bufs[i].mul_(0.9).add_(params[i].grad!);
          params[i].sub_(bufs[i], { alpha: lr });
        }
      });
    return loss;
  });
}

for (let i = 0; i < warmup; i++) step().dispose();
let loss: torch.Tensor | null = null;
const t0 = performance.now();
for (let i = 0; i < steps; i++) {
  loss?.dispose();
  loss = step();
}
const ms = (performance.now() - t0) / steps;
console.log(
  JSON.stringify({
    impl: 'torchmix',
    model: modelName,
    threads: torch.getNumThreads(),
    optim: optName,
    msPerStep: ms,
    loss: loss!.item(),
    torch: torch.config().version,
  }),
);
