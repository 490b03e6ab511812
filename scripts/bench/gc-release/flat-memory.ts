// A PyTorch user's first loop — no torch.tidy, no dispose(), no await — and what memory does in it.
//
//   npx tsx scripts/bench/gc-release/flat-memory.ts [--loop plain|item|cnn] [--steps N]
//        [--at 16,1600,3200,6400] [--threads N] [--tidy] [--json]
//
//   plain  the issue-16 loop: two moons (4096 points), MLP 2-256-256-2, SGD lr 0.05, batch 256
//   item   the same, keeping every step's loss.item() in an array (a number: no tensor kept)
//   cnn    the small CNN on Fashion-MNIST for one epoch (469 steps of 128), SGD lr 0.05 momentum 0.9
//
// --tidy runs the same steps the recommended way (each step one torch.tidy, the batch disposed), for
// comparing the wall time. At each step in --at it records live tensors, GC-owned tensors, RSS and
// wall time since step 1, and the peaks of live tensors and RSS since the previous --at step
// (sampled every step: collections make the live count a sawtooth, so the peaks are what stays
// comparable). It prints a table (or JSON lines with --json; the last line is a summary whose ratios
// compare the peaks of the last window with those of the first window after step 16). The loop never yields to
// the event loop, so anything freed was freed during garbage collection itself. It also checks that
// the first step's loss tensor was freed before the loop ended (`firstLossFreed`).
// TORCHMIX_ADDON selects the addon (e.g. build-1.13/Release/torchmix.node).
import { performance } from 'node:perf_hooks';
import { torch, nn, optim, data } from '../../../lib/index.js';
import { N } from '../../../lib/torch/native.js';

type Loop = 'plain' | 'item' | 'cnn';
function parseArgs(): { loop: Loop; steps: number; at: number[]; threads: number; json: boolean; tidy: boolean } {
  const o = { loop: 'plain' as Loop, steps: 0, at: [] as number[], threads: 1, json: false, tidy: false };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i],
      v = argv[i + 1];
    if (k === '--json' || k === '--tidy') {
      o[k === '--json' ? 'json' : 'tidy'] = true;
      continue;
    }
    if (v === undefined) throw new Error(`${k} needs a value`);
    i++;
    if (k === '--loop') {
      if (v !== 'plain' && v !== 'item' && v !== 'cnn') throw new Error(`--loop must be plain, item or cnn, got '${v}'`);
      o.loop = v;
    } else if (k === '--steps') o.steps = Number(v);
    else if (k === '--at') o.at = v.split(',').map(Number);
    else if (k === '--threads') o.threads = Number(v);
    else throw new Error(`unknown option ${k}`);
  }
  if (o.at.length === 0) o.at = o.loop === 'cnn' ? [16, 117, 234, 469] : [16, 1600, 3200, 6400];
  if (!o.steps) o.steps = Math.max(...o.at);
  if (!o.at.every((s) => Number.isInteger(s) && s >= 1 && s <= o.steps)) throw new Error('--at: steps between 1 and --steps');
  return o;
}

const args = parseArgs();
torch.setNumThreads(args.threads);
torch.manualSeed(0);

let model: nn.Module;
let loader: data.DataLoader;
if (args.loop === 'cnn') {
  loader = new data.DataLoader(data.fashionMnist({ split: 'train' }), { batchSize: 128, shuffle: true, seed: 1, normalize: { mean: 0.286, std: 0.353 } });
  model = nn.models.smallCNN();
} else {
  loader = new data.DataLoader(data.moons({ n: 4096, seed: 0 }), { batchSize: 256, shuffle: true, seed: 1 });
  model = nn.models.mlp([2, 256, 256, 2]);
}
const opt = new optim.SGD(model.parameters(), args.loop === 'cnn' ? { lr: 0.05, momentum: 0.9 } : { lr: 0.05 });

// The user's code, as they would write it in PyTorch.
function userStep({ x, y }: data.Batch): torch.Tensor {
  const loss = nn.functional.crossEntropy(model.forward(x), y);
  opt.zeroGrad();
  loss.backward();
  opt.step();
  if (args.loop === 'item') losses.push(loss.item() as number);
  return loss;
}

interface Row {
  step: number;
  liveTensors: number;
  gcOwnedTensors: number;
  rssMB: number;
  seconds: number;
  livePeak: number;
  rssPeakMB: number;
}
const rows: Row[] = [];
const losses: number[] = [];
let firstLossId = -1;
let step = 0;
let livePeak = 0,
  rssPeak = 0;
const t0 = performance.now();
outer: for (;;) {
  for (const batch of loader) {
    const loss = args.tidy ? torch.tidy(() => userStep(batch)) : userStep(batch);
    if (args.tidy) torch.dispose([batch, loss]);
    if (++step === 1) firstLossId = loss._id;
    const live: number = N.liveTensors(),
      rss = process.memoryUsage.rss() / 2 ** 20;
    livePeak = Math.max(livePeak, live);
    rssPeak = Math.max(rssPeak, rss);
    if (args.at.includes(step)) {
      const m = torch.memory();
      rows.push({
        step,
        liveTensors: m.liveTensors,
        gcOwnedTensors: m.gcOwnedTensors,
        rssMB: rss,
        seconds: (performance.now() - t0) / 1000,
        livePeak,
        rssPeakMB: rssPeak,
      });
      livePeak = rssPeak = 0;
    }
    if (step >= args.steps) break outer;
  }
  if (args.loop === 'cnn') break; // one epoch
}
const firstLossFreed = !N.isLive(firstLossId); // still inside the synchronous part: no event-loop turn yet

const first = rows.find((r) => r.step >= Math.min(...args.at.filter((s) => s > 16))) ?? rows[0];
const last = rows[rows.length - 1];
const summary = {
  loop: args.loop,
  tidy: args.tidy,
  libtorch: torch.config().version,
  node: process.version,
  steps: step,
  firstLossFreed,
  liveRatio: last.livePeak / first.livePeak,
  rssRatio: last.rssPeakMB / first.rssPeakMB,
  ratioBetween: [first.step, last.step],
  lossesKept: losses.length,
};
if (args.json) {
  for (const r of rows) console.log(JSON.stringify(r));
  console.log(JSON.stringify(summary));
} else {
  console.log(`loop ${args.loop}${args.tidy ? ' (tidy)' : ''}, LibTorch ${summary.libtorch}, Node ${summary.node}, ${args.threads} thread(s)`);
  console.log('| after step | live tensors | peak since last row | RSS | peak RSS since last row | wall |');
  console.log('|---:|---:|---:|---:|---:|---:|');
  const gb = (mb: number) => `${(mb / 1024).toFixed(2)} GB`;
  for (const r of rows) console.log(`| ${r.step} | ${r.liveTensors} | ${r.livePeak} | ${gb(r.rssMB)} | ${gb(r.rssPeakMB)} | ${r.seconds.toFixed(1)} s |`);
  console.log(
    `peaks up to step ${last.step} / up to step ${first.step}: live tensors ×${summary.liveRatio.toFixed(2)}, RSS ×${summary.rssRatio.toFixed(2)}; first loss freed inside the loop: ${firstLossFreed}`,
  );
}
