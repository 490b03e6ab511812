// Channels-last vs contiguous training step in torchmix, in ONE process: two twins of the model (the
// same weights), one converted with model.to({ memoryFormat: 'channelsLast' }) and fed channels-last
// input (PyTorch's recipe), timed in alternating blocks so drift hits both alike. One JSON line per
// round. The twin of channels_last.py:
//   npx tsx scripts/bench/channels-last/channels-last.ts --model smallcnn|preact18 [--threads 1] [--batch N]
//     [--rounds 5] [--steps S] [--warmup W]
// Step (one torch.tidy): forward, cross-entropy, zeroGrad(setToNone), backward, optim.SGD(lr 0.01, momentum 0.9).
import { torch, nn, optim } from '../../../lib/index.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i];
  if (!k.startsWith('--') || i + 1 >= process.argv.length) throw new Error(`channels-last.ts: bad argument ${k}`);
  args.set(k.slice(2), process.argv[i + 1]);
}
for (const k of args.keys())
  if (!['model', 'threads', 'batch', 'rounds', 'steps', 'warmup'].includes(k)) throw new Error(`channels-last.ts: unknown option --${k}`);
const modelName = args.get('model') ?? 'smallcnn';
if (modelName !== 'smallcnn' && modelName !== 'preact18') throw new Error(`channels-last.ts: --model smallcnn|preact18, got ${modelName}`);
const small = modelName === 'smallcnn';
const threads = Number(args.get('threads') ?? 1);
const batch = Number(args.get('batch') ?? (small ? 128 : 32));
const rounds = Number(args.get('rounds') ?? 5);
const steps = Number(args.get('steps') ?? (small ? 20 : 6));
const warmup = Number(args.get('warmup') ?? 2);

torch.setNumThreads(threads);
torch.manualSeed(0);
const build = () => (small ? nn.models.smallCNN() : nn.models.preactResNet18({ inChannels: 3, numClasses: 10 }));
const shape = small ? [batch, 1, 28, 28] : [batch, 3, 32, 32];
const base = build().train();
const twin = base.freshCopy().train();
twin.loadStateDict(base.stateDict());
twin.to({ memoryFormat: 'channelsLast' });
const x = torch.keep(torch.randn(shape));
const xl = torch.keep(x.contiguous({ memoryFormat: 'channelsLast' }));
const y = torch.keep(torch.randint(0, 10, [batch]));
const runs = [
  { format: 'contiguous', model: base, x, opt: new optim.SGD(base.parameters(), { lr: 0.01, momentum: 0.9 }) },
  { format: 'channelsLast', model: twin, x: xl, opt: new optim.SGD(twin.parameters(), { lr: 0.01, momentum: 0.9 }) },
];
const step = (r: (typeof runs)[number]): number =>
  torch.tidy(() => {
    const loss = nn.functional.crossEntropy(r.model.forward(r.x), y);
    r.opt.zeroGrad({ setToNone: true });
    loss.backward();
    r.opt.step();
    return loss.item() as number;
  });
for (const r of runs) for (let i = 0; i < warmup; i++) step(r);
for (let round = 0; round < rounds; round++) {
  const ms: Record<string, number> = {};
  const loss: Record<string, number> = {};
  // ABBA order across rounds
  for (const r of round % 2 === 0 ? runs : [...runs].reverse()) {
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) loss[r.format] = step(r);
    ms[r.format] = (performance.now() - t0) / steps;
  }
  console.log(
    JSON.stringify({
      impl: 'torchmix',
      model: modelName,
      batch,
      threads: torch.getNumThreads(),
      round,
      msContiguous: ms.contiguous,
      msChannelsLast: ms.channelsLast,
      lossContiguous: loss.contiguous,
      lossChannelsLast: loss.channelsLast,
      torch: torch.config().version,
    }),
  );
}
