// torchmix side of scripts/bench/overhead (same workloads as overhead.cc / overhead.py).
//
//   npx tsx scripts/bench/overhead/overhead.ts [--threads N] [--add-iters N] [--steps N] [--warmup-steps N]
//                                              [--beta step|once] [--model plain|module]
//
// Prints one JSON line. TORCHMIX_ADDON selects the addon (e.g. build-1.13/Release/torchmix.node).
// Written the way a torchmix user would write it: a.add(b) inside torch.tidy scopes of 1000 ops;
// one mixup step per torch.tidy. --beta step (default): `new torch.distributions.Beta(1, 1)` is built
// inside every step; --beta once: before the loop. Extra fields, for profiling only:
//   add_dispose_us  `a.add(b).dispose()` at top level (no scope: the result is GC-tracked, then freed)
//   add_native_us   the raw addon calls N.add(idA, idB) + N.free(id), no Tensor wrapper, no scope
//   step_cpu_ms     the step's process CPU time (user + system) instead of wall time
// --model plain (default): the MLP is six plain tensors; --model module: the same weights inside an
// nn.Module of three nn.Linear (what a user writes), forward through model.forward (the cost of
// module property reads; docs/BENCHMARKS.md, "Modules by assignment: cost per step").
import { performance } from 'node:perf_hooks';
import { torch, nn } from '../../../lib/index.js';
import { N } from '../../../lib/torch/native.js';
import type { Tensor } from '../../../lib/torch/index.js';
import { TinyMLP } from './tiny-mlp.js';

const F = nn.functional;

function parseArgs(): { threads: number; addIters: number; steps: number; warmupSteps: number; beta: 'step' | 'once'; model: 'plain' | 'module' } {
  const o = { threads: 1, addIters: 200000, steps: 1000, warmupSteps: 200, beta: 'step' as 'step' | 'once', model: 'plain' as 'plain' | 'module' };
  const argv = process.argv.slice(2);
  for (let i = 0; i + 1 < argv.length; i += 2) {
    const v = Number(argv[i + 1]);
    switch (argv[i]) {
      case '--threads':
        o.threads = v;
        break;
      case '--add-iters':
        o.addIters = v;
        break;
      case '--steps':
        o.steps = v;
        break;
      case '--warmup-steps':
        o.warmupSteps = v;
        break;
      case '--beta':
        if (argv[i + 1] !== 'step' && argv[i + 1] !== 'once') throw new Error('--beta must be step or once');
        o.beta = argv[i + 1] as 'step' | 'once';
        break;
      case '--model':
        if (argv[i + 1] !== 'plain' && argv[i + 1] !== 'module') throw new Error('--model must be plain or module');
        o.model = argv[i + 1] as 'plain' | 'module';
        break;
      default:
        throw new Error(`unknown option ${argv[i]}`);
    }
  }
  return o;
}

const args = parseArgs();
torch.setNumThreads(args.threads);
// built before the seed: its initialisation must not shift the RNG stream the workloads draw from
const model = args.model === 'module' ? new TinyMLP() : null;
torch.manualSeed(0);

// ---- (a) per-op add -------------------------------------------------------------------------------
const BLOCK = 1000; // ops per tidy scope
const a = torch.randn([4]);
const b = torch.randn([4]);

function addBlock(): void {
  for (let i = 0; i < BLOCK; i++) a.add(b);
}
function addTidy(n: number): number {
  const blocks = Math.max(1, Math.round(n / BLOCK));
  const t0 = performance.now();
  for (let k = 0; k < blocks; k++) torch.tidy(addBlock);
  return ((performance.now() - t0) * 1e3) / (blocks * BLOCK);
}
function addDispose(n: number): number {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) a.add(b).dispose();
  return ((performance.now() - t0) * 1e3) / n;
}
function addNative(n: number): number {
  const ia = a._id,
    ib = b._id;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) N.free(N.add(ia, ib));
  return ((performance.now() - t0) * 1e3) / n;
}

addTidy(args.addIters / 4); // warm-up (JIT and allocator)
const addUs = addTidy(args.addIters);
addDispose(args.addIters / 8);
const addDisposeUs = addDispose(args.addIters / 2);
addNative(args.addIters / 8);
const addNativeUs = addNative(args.addIters / 2);

// ---- (b) mixup step -------------------------------------------------------------------------------
const B = 128;
const lr = 0.05;
const x = torch.randn([B, 2]);
const y = torch.randint(2, [B]);
const weight = (out: number, inp: number): Tensor =>
  torch
    .randn([out, inp])
    .mul(1 / Math.sqrt(inp))
    .requiresGrad_();
const params = [
  weight(64, 2),
  torch.zeros([64]).requiresGrad_(),
  weight(64, 64),
  torch.zeros([64]).requiresGrad_(),
  weight(2, 64),
  torch.zeros([2]).requiresGrad_(),
];
const [w1, b1, w2, b2, w3, b3] = params;

if (model) {
  const mp = model.parameters();
  torch.noGrad(() => mp.forEach((p, i) => p.copy_(params[i]))); // the same weights: the same loss
  params.splice(0, params.length, ...mp);
}
const forward = model
  ? (xin: Tensor): Tensor => model.forward(xin)
  : (xin: Tensor): Tensor => F.linear(F.relu(F.linear(F.relu(F.linear(xin, w1, b1)), w2, b2)), w3, b3);
const beta = new torch.distributions.Beta(1, 1); // --beta once: built once, like a mixup method object
const perStep = args.beta === 'step';

function stepBody(): void {
  const lam = perStep ? new torch.distributions.Beta(1, 1).sample() : beta.sample();
  const oml = lam.rsub(1);
  const perm = torch.randperm(B);
  const xMix = x.mul(lam).add(x.indexSelect(0, perm).mul(oml));
  const out = forward(xMix);
  const loss = F.crossEntropy(out, y)
    .mul(lam)
    .add(F.crossEntropy(out, y.indexSelect(0, perm)).mul(oml));
  loss.backward();
  torch.noGrad(() => {
    for (const p of params) {
      p.sub_(p.grad as Tensor, { alpha: lr });
      p.grad = null;
    }
  });
}
const step = (): void => torch.tidy(stepBody);

for (let i = 0; i < args.warmupSteps; i++) step();
const t0 = performance.now();
const c0 = process.cpuUsage();
for (let i = 0; i < args.steps; i++) step();
const stepMs = (performance.now() - t0) / args.steps;
const c1 = process.cpuUsage(c0);
const stepCpuMs = (c1.user + c1.system) / 1e3 / args.steps; // CPU time: less sensitive to a shared machine

const finalLoss = torch.tidy(() =>
  torch.noGrad(() => {
    return F.crossEntropy(forward(x), y).item() as number;
  }),
);
const live = torch.memory().liveTensors;

const r4 = (v: number) => Math.round(v * 1e4) / 1e4;
console.log(
  JSON.stringify({
    impl: 'torchmix',
    libtorch: torch.config().version,
    threads: torch.getNumThreads(),
    add_us: r4(addUs),
    step_ms: r4(stepMs),
    step_cpu_ms: r4(stepCpuMs),
    beta: args.beta,
    model: args.model,
    add_dispose_us: r4(addDisposeUs),
    add_native_us: r4(addNativeUs),
    add_iters: args.addIters,
    steps: args.steps,
    final_loss: r4(finalLoss),
    live_tensors: live,
    node: process.version,
  }),
);
