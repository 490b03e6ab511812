// Where the time of torchmix's mixup step goes (a profiling aid, not part of run.sh's table).
//
//   npx tsx scripts/bench/overhead/profile-step.ts [--threads N] [--steps N]
//
// Variants of the step in overhead.ts, timed alternately (median of 5 rounds):
//   bench      the step exactly as overhead.ts writes it (Beta(1,1).sample(), one tidy)
//   gammaLam   same, but λ = g1/(g1+g2) from two raw standardGamma calls (the C++ floor's λ path)
//   raw        the whole step as raw addon calls on numeric handles, freed at the end: the floor of
//              the N-API design with no Tensor wrapper, no tidy, no TS argument checks
//   betaOnly   Beta(1,1).sample() alone, per call
// and the number of addon calls per step (by name) for `bench`.
import { performance } from 'node:perf_hooks';
import { torch, nn } from '../../../lib/index.js';
import { N } from '../../../lib/torch/native.js';
import { wrap, type Tensor } from '../../../lib/torch/tensor.js';

const F = nn.functional;
const argv = process.argv.slice(2);
const opt = (k: string, d: number) => {
  const i = argv.indexOf(k);
  return i >= 0 ? Number(argv[i + 1]) : d;
};
const threads = opt('--threads', 1);
const steps = opt('--steps', 1000);
torch.setNumThreads(threads);
torch.manualSeed(0);

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
const beta = new torch.distributions.Beta(1, 1);
const conc1 = torch.ones([]);
const conc0 = torch.ones([]);

function body(lam: Tensor): void {
  const oml = lam.rsub(1);
  const perm = torch.randperm(B);
  const xMix = x.mul(lam).add(x.indexSelect(0, perm).mul(oml));
  let h = F.relu(F.linear(xMix, w1, b1));
  h = F.relu(F.linear(h, w2, b2));
  const out = F.linear(h, w3, b3);
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
const bench = () => torch.tidy(() => body(beta.sample()));
const gammaLam = () =>
  torch.tidy(() => {
    const g1 = wrap(N.standardGamma(conc1._id));
    const g2 = wrap(N.standardGamma(conc0._id));
    body(g1.div(g1.add(g2)));
  });

const pid = params.map((p) => p._id);
const [iw1, ib1, iw2, ib2, iw3, ib3] = pid;
const ix = x._id,
  iy = y._id,
  ic1 = conc1._id,
  ic0 = conc0._id;
const live: number[] = [];
const k = (id: number) => (live.push(id), id);
function raw(): void {
  const g1 = k(N.standardGamma(ic1));
  const g2 = k(N.standardGamma(ic0));
  const lam = k(N.div(g1, k(N.add(g1, g2))));
  const oml = k(N.rsubS(lam, 1));
  const perm = k(N.randperm(B));
  const xm = k(N.add(k(N.mul(ix, lam)), k(N.mul(k(N.indexSelect(ix, 0, perm)), oml))));
  const h1 = k(N.relu(k(N.linear(xm, iw1, ib1))));
  const h2 = k(N.relu(k(N.linear(h1, iw2, ib2))));
  const out = k(N.linear(h2, iw3, ib3));
  const l1 = k(N.mul(k(N.crossEntropy(out, iy, undefined, 1, -100, 0)), lam));
  const l2 = k(N.mul(k(N.crossEntropy(out, k(N.indexSelect(iy, 0, perm)), undefined, 1, -100, 0)), oml));
  N.backward(k(N.add(l1, l2)), undefined, undefined, false);
  const prev = N.setGradEnabled(false);
  for (const p of pid) {
    const g = N.grad(p);
    N.sub_(p, g, lr);
    N.setGrad(p, null);
    N.free(g);
  }
  N.setGradEnabled(prev);
  for (const id of live) N.free(id);
  live.length = 0;
}
const betaOnly = () => torch.tidy(() => beta.sample());

function time(fn: () => void, n: number): number {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn();
  return (performance.now() - t0) / n;
}

// Addon calls per bench step, by name.
const counts: Record<string, number> = {};
const orig: Record<string, (...a: unknown[]) => unknown> = {};
for (const name of Object.keys(N)) {
  const f = N[name];
  if (typeof f !== 'function') continue;
  orig[name] = f;
  N[name] = (...a: unknown[]) => {
    counts[name] = (counts[name] ?? 0) + 1;
    return f(...a);
  };
}
bench();
for (const name of Object.keys(orig)) N[name] = orig[name];
const total = Object.values(counts).reduce((s, v) => s + v, 0);

const variants: [string, () => void, number][] = [
  ['bench', bench, steps],
  ['gammaLam', gammaLam, steps],
  ['raw', raw, steps],
  ['betaOnly', betaOnly, steps * 5],
];
for (const [, fn, n] of variants) time(fn, Math.ceil(n / 4)); // warm-up
const samples: Record<string, number[]> = {};
for (let r = 0; r < 5; r++) for (const [name, fn, n] of variants) (samples[name] ??= []).push(time(fn, n));
const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];
const ms: Record<string, number> = {};
for (const [name, v] of Object.entries(samples)) ms[name] = Math.round(median(v) * 1e5) / 1e5;
console.log(JSON.stringify({ libtorch: torch.config().version, threads, ms_per_call: ms, addon_calls_per_step: total, calls: counts }));
