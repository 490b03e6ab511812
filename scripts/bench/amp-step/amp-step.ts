// One training step of the small CNN (batch 128, Fashion-MNIST shape, SGD), fp32 vs CPU bf16
// autocast, torchmix. Reports wall and CPU milliseconds per step (CPU time is the fairer number on a
// shared machine). Usage: npx tsx scripts/bench/amp-step/amp-step.ts [--steps 20] [--threads 1]
import { torch, nn, optim } from '../../../lib/index.js';

const arg = (k: string, d: number) => {
  const i = process.argv.indexOf(`--${k}`);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const steps = arg('steps', 20);
torch.setNumThreads(arg('threads', 1));
torch.manualSeed(0);
const model = nn.models.smallCNN();
const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
const x = torch.randn([128, 1, 28, 28]);
const y = torch.randint(0, 10, [128]);
const step = (amp: boolean) =>
  torch.tidy(() => {
    const loss = amp
      ? torch.autocast({ deviceType: 'cpu' }, () => nn.functional.crossEntropy(model.forward(x), y))
      : nn.functional.crossEntropy(model.forward(x), y);
    opt.zeroGrad();
    loss.backward();
    opt.step();
  });
const out: Record<string, { wallMs: number; cpuMs: number }> = {};
for (const round of [0, 1])
  for (const amp of [false, true]) {
    for (let i = 0; i < 3; i++) step(amp);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) step(amp);
    const wall = (performance.now() - t0) / steps;
    const c = process.cpuUsage(c0);
    const cpu = (c.user + c.system) / 1000 / steps;
    const k = amp ? 'bf16' : 'fp32';
    if (round === 1 || !out[k]) out[k] = { wallMs: wall, cpuMs: cpu };
    else out[k] = { wallMs: Math.min(out[k].wallMs, wall), cpuMs: Math.min(out[k].cpuMs, cpu) };
  }
console.log(JSON.stringify({ libtorch: torch.config().version, threads: torch.getNumThreads(), steps, ...out }));
