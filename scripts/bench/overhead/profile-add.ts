// Where the time of torchmix's `a.add(b)` goes: the layers between JS and at::add, timed alone.
//
//   npx tsx scripts/bench/overhead/profile-add.ts [--threads N] [--iters N]
//
// Not part of run.sh's table; a profiling aid. Compare with the C++ floor (overhead.cc add_us).
import { performance } from 'node:perf_hooks';
import { torch } from '../../../lib/index.js';
import { N } from '../../../lib/torch/native.js';

const argv = process.argv.slice(2);
const opt = (k: string, d: number) => {
  const i = argv.indexOf(k);
  return i >= 0 ? Number(argv[i + 1]) : d;
};
const threads = opt('--threads', 1);
const iters = opt('--iters', 300000);
torch.setNumThreads(threads);

const a = torch.randn([4]);
const b = torch.randn([4]);
const ia = a._id,
  ib = b._id;
const BLOCK = 1000;
const ids = new Array<number>(BLOCK).fill(0);

function time(fn: () => void, opsPerCall: number): number {
  const calls = Math.max(1, Math.round(iters / opsPerCall));
  for (let k = 0; k < Math.ceil(calls / 4); k++) fn(); // warm-up
  const t0 = performance.now();
  for (let k = 0; k < calls; k++) fn();
  return ((performance.now() - t0) * 1e3) / (calls * opsPerCall);
}

const results: Record<string, number> = {};
const rounds = 5;
const cases: [string, () => void, number][] = [
  ['napi_free_stale', () => N.free(-1), 1], // one N-API call, one number argument, nothing done
  ['napi_numel', () => N.numel(ia), 1], // one call + a handle lookup + a number back
  ['napi_add_free', () => N.free(N.add(ia, ib)), 1],
  [
    'wrap_dispose_in_tidy',
    () =>
      torch.tidy(() => {
        for (let i = 0; i < BLOCK; i++) a.add(b).dispose();
      }),
    BLOCK,
  ],
  [
    'tidy_add',
    () =>
      torch.tidy(() => {
        for (let i = 0; i < BLOCK; i++) a.add(b);
      }),
    BLOCK,
  ],
  ['top_level_add_dispose', () => a.add(b).dispose(), 1],
];

// The split between add and free: time BLOCK adds, then BLOCK frees, separately.
function splitAddFree(): [number, number] {
  let tAdd = 0,
    tFree = 0;
  const calls = Math.max(1, Math.round(iters / BLOCK));
  for (let k = 0; k < calls; k++) {
    const t0 = performance.now();
    for (let i = 0; i < BLOCK; i++) ids[i] = N.add(ia, ib);
    const t1 = performance.now();
    for (let i = 0; i < BLOCK; i++) N.free(ids[i]);
    tFree += performance.now() - t1;
    tAdd += t1 - t0;
  }
  return [(tAdd * 1e3) / (calls * BLOCK), (tFree * 1e3) / (calls * BLOCK)];
}

const samples: Record<string, number[]> = {};
for (let r = 0; r < rounds; r++) {
  for (const [name, fn, per] of cases) {
    (samples[name] ??= []).push(time(fn, per));
  }
  splitAddFree(); // warm-up
  const [ad, fr] = splitAddFree();
  (samples['napi_add_only'] ??= []).push(ad);
  (samples['napi_free_only'] ??= []).push(fr);
}
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
for (const [k, v] of Object.entries(samples)) results[k] = Math.round(median(v) * 1e4) / 1e4;
console.log(JSON.stringify({ libtorch: torch.config().version, threads, us_per_op: results }));
