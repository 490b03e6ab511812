// Per-op cost of the three release paths, for scripts/bench/gc-release/run.sh.
//
//   npx tsx scripts/bench/gc-release/overhead.ts --lib DIR [--iters N] [--steps N] [--threads N]
//
// --lib is a checkout whose lib/index.ts is benchmarked (run.sh passes this tree and a baseline
// checkout, each with its own addon through TORCHMIX_ADDON). Prints one JSON line:
//   add_tidy_us     a.add(b) inside torch.tidy blocks of 1000 (the scope frees)
//   add_dispose_us  a.add(b).dispose() at top level (explicit free of a GC-owned result)
//   add_drop_us     a.add(b) at top level, dropped (the GC fallback frees)
//   mlp_tidy_ms     a tiny MLP SGD step (2-64-64-2, batch 128) as one torch.tidy
//   mlp_drop_ms     the same step written without tidy or dispose
//   live_end        liveTensors after the loops (the dropped ones must be gone: no event-loop turn)
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const argv = process.argv.slice(2);
const opt = (k: string, d: string) => (argv.includes(k) ? argv[argv.indexOf(k) + 1] : d);
const lib = opt('--lib', '');
if (!lib) throw new Error('--lib DIR is required');
const iters = Number(opt('--iters', '200000'));
const steps = Number(opt('--steps', '2000'));
// The library of the checkout named by --lib, imported at run time: untyped (any) on purpose.
const { torch, nn } = await import(path.resolve(lib, 'lib', 'index.ts'));
const F = nn.functional;
torch.setNumThreads(Number(opt('--threads', '1')));
torch.manualSeed(0);

const a = torch.randn([4]);
const b = torch.randn([4]);
const time = (n: number, fn: () => void): number => {
  fn(); // warm-up run of the same size is done by the caller
  const t0 = performance.now();
  fn();
  return (performance.now() - t0) / n;
};
const addTidy = () => {
  for (let k = 0; k < iters / 1000; k++)
    torch.tidy(() => {
      for (let i = 0; i < 1000; i++) a.add(b);
    });
};
const addDispose = () => {
  for (let i = 0; i < iters; i++) a.add(b).dispose();
};
const addDrop = () => {
  for (let i = 0; i < iters; i++) a.add(b);
};

const B = 128;
const x = torch.randn([B, 2]);
const y = torch.randint(2, [B]);
const w = (o: number, i: number) =>
  torch
    .randn([o, i])
    .mul(1 / Math.sqrt(i))
    .requiresGrad_();
const params = [w(64, 2), torch.zeros([64]).requiresGrad_(), w(64, 64), torch.zeros([64]).requiresGrad_(), w(2, 64), torch.zeros([2]).requiresGrad_()];
const [w1, b1, w2, b2, w3, b3] = params;
function mlpStep(): void {
  const h = F.relu(F.linear(F.relu(F.linear(x, w1, b1)), w2, b2));
  F.crossEntropy(F.linear(h, w3, b3), y).backward();
  torch.noGrad(() => {
    for (const p of params) {
      p.sub_(p.grad, { alpha: 0.05 });
      p.grad = null;
    }
  });
}
const mlpTidy = () => {
  for (let i = 0; i < steps; i++) torch.tidy(mlpStep);
};
const mlpDrop = () => {
  for (let i = 0; i < steps; i++) mlpStep();
};

const r = (v: number) => Math.round(v * 1e4) / 1e4;
const out = {
  lib: path.resolve(lib),
  add_tidy_us: r(time(iters, addTidy) * 1e3),
  add_dispose_us: r(time(iters, addDispose) * 1e3),
  add_drop_us: r(time(iters, addDrop) * 1e3),
  mlp_tidy_ms: r(time(steps, mlpTidy)),
  mlp_drop_ms: r(time(steps, mlpDrop)),
  live_end: torch.memory().liveTensors,
};
console.log(JSON.stringify(out));
