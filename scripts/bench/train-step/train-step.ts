// One timed training loop in torchmix; prints one JSON line. The twin of train_step.py:
//   npx tsx scripts/bench/train-step/train-step.ts --model smallcnn|preact18 --threads N --steps S --warmup W --optim hand|lib
//     [--device cpu|cuda] [--batch N] [--amp bf16|fp16] [--channels-last]
// Step (one torch.tidy): forward, cross-entropy, grads set to null, backward, SGD lr 0.01 momentum
// 0.9 — `hand`: buf.mul_(0.9).add_(g); p.sub_(buf, lr) under noGrad (as train_step.py's `hand`);
// `lib`: optim.SGD (native torch::optim), when the addon has it.
// --amp: forward + loss inside torch.autocast({ deviceType, dtype }); fp16 scales the loss with
// amp.GradScaler (needs --optim lib). --channels-last: model.to({ memoryFormat: 'channelsLast' }) and
// the input x.contiguous({ memoryFormat: 'channelsLast' }).
// Memory as train_step.py: cuda: maxMemoryAllocated of the timed steps (peaks reset after the warm-up)
// and reserved bytes after them; cpu: VmHWM after the timed steps − VmRSS after setup (VmHWM reset then).
import fs from 'node:fs';
import * as tm from '../../../lib/index.js';
import { N } from '../../../lib/torch/native.js';

const { torch, nn, optim } = tm;
const usage =
  'usage: train-step.ts --model smallcnn|preact18 --threads N [--steps S] [--warmup W] [--optim hand|lib] [--device cpu|cuda] [--batch N] [--amp bf16|fp16] [--channels-last]';
function fail(msg: string, code = 2): never {
  console.error(`train-step.ts: ${msg}`);
  process.exit(code);
}
const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i++) {
  const k = process.argv[i];
  if (k === '--channels-last') args.set('channels-last', '1');
  else if (k.startsWith('--') && i + 1 < process.argv.length) args.set(k.slice(2), process.argv[++i]);
  else fail(`bad argument ${k}\n${usage}`);
}
const known = ['model', 'threads', 'steps', 'warmup', 'optim', 'device', 'batch', 'amp', 'channels-last'];
for (const k of args.keys()) if (!known.includes(k)) fail(`unknown option --${k}\n${usage}`);
const modelName = args.get('model') ?? 'smallcnn';
const threads = Number(args.get('threads') ?? 1);
const steps = Number(args.get('steps') ?? 20);
const warmup = Number(args.get('warmup') ?? 3);
const optName = args.get('optim') ?? 'hand';
const device = (args.get('device') ?? 'cpu') as 'cpu' | 'cuda';
const ampName = args.get('amp');
const channelsLast = args.has('channels-last');
if (!['smallcnn', 'preact18'].includes(modelName)) fail(`--model must be smallcnn or preact18, got ${modelName}`);
if (!['hand', 'lib'].includes(optName)) fail(`--optim must be hand or lib, got ${optName}`);
if (device !== 'cpu' && device !== 'cuda') fail(`--device must be cpu or cuda, got ${String(device)}`);
if (ampName !== undefined && ampName !== 'bf16' && ampName !== 'fp16') fail(`--amp must be bf16 or fp16, got ${ampName}`);
if (optName === 'lib' && typeof N.optimCreate !== 'function') fail('--optim lib: this addon has no native optimizers', 3);
if (ampName === 'fp16' && optName !== 'lib') fail('--amp fp16 needs --optim lib (GradScaler steps an optimizer)');
if (device === 'cuda' && !torch.cuda.isAvailable()) fail('--device cuda but torch.cuda.isAvailable() is false', 3);

// Peak-RSS bookkeeping (Linux /proc; null elsewhere).
function statusKiB(key: string): number | null {
  const m = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : null;
}
function resetHwm(): number | null {
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
    const rss = statusKiB('VmRSS');
    return rss === null ? null : rss * 1024;
  } catch {
    return null;
  }
}
const MiB = 1024 * 1024;

torch.setNumThreads(threads);
torch.manualSeed(0);
const F = nn.functional;
const batch = args.has('batch') ? Number(args.get('batch')) : modelName === 'smallcnn' ? 128 : 32;
if (!Number.isInteger(batch) || batch < 1) fail(`--batch must be a positive integer, got ${args.get('batch')}`);
const [model, shape] =
  modelName === 'smallcnn' ? [nn.models.smallCNN(), [batch, 1, 28, 28]] : [nn.models.preactResNet18({ inChannels: 3, numClasses: 10 }), [batch, 3, 32, 32]];
model.train();
// Drawn on the CPU, then moved: the same weights and data as train_step.py on every device.
let x = torch.randn(shape);
let y = torch.randint(0, 10, [shape[0]]);
if (device === 'cuda') {
  model.to('cuda');
  x = x.to('cuda');
  y = y.to('cuda');
}
if (channelsLast) {
  model.to({ memoryFormat: 'channelsLast' });
  x = x.contiguous({ memoryFormat: 'channelsLast' });
}
const params = model.parameters();
const lr = 0.01;
const opt = optName === 'lib' ? new optim.SGD(params, { lr, momentum: 0.9 }) : null;
const bufs = params.map((p) => torch.keep(torch.zerosLike(p)));
const ampDtype = ampName === 'bf16' ? 'bfloat16' : ampName === 'fp16' ? 'float16' : null;
const scaler = ampName === 'fp16' ? new tm.amp.GradScaler({ device }) : null;

function forwardLoss(): tm.torch.Tensor {
  return F.crossEntropy(model.forward(x), y);
}
function step(): tm.torch.Tensor {
  return torch.tidy(() => {
    const loss = ampDtype ? torch.autocast({ deviceType: device, dtype: ampDtype }, forwardLoss) : forwardLoss();
    if (opt) opt.zeroGrad({ setToNone: true });
    else model.zeroGrad();
    if (scaler) {
      scaler.scale(loss).backward();
      scaler.step(opt!);
      scaler.update();
      return loss;
    }
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

const cuda = device === 'cuda';
const baseRss = cuda ? null : resetHwm();
for (let i = 0; i < warmup; i++) step().dispose();
if (cuda) {
  torch.cuda.synchronize();
  torch.cuda.resetPeakMemoryStats();
}
let loss: tm.torch.Tensor | null = null;
const t0 = performance.now();
for (let i = 0; i < steps; i++) {
  loss?.dispose();
  loss = step();
}
if (cuda) torch.cuda.synchronize();
const ms = (performance.now() - t0) / steps;
const row: Record<string, unknown> = {
  impl: 'torchmix',
  model: modelName,
  threads: torch.getNumThreads(),
  optim: optName,
  device,
  batch,
  amp: ampName ?? 'none',
  channelsLast,
  msPerStep: ms,
  stepsPerSec: 1000 / ms,
  loss: loss!.item(),
  torch: torch.config().version,
};
if (cuda) {
  row.peakAllocMiB = torch.cuda.maxMemoryAllocated() / MiB;
  row.reservedMiB = torch.cuda.memoryReserved() / MiB;
} else {
  const hwm = statusKiB('VmHWM');
  row.peakRssMiB = baseRss !== null && hwm !== null ? (hwm * 1024 - baseRss) / MiB : null;
}
console.log(JSON.stringify(row));
