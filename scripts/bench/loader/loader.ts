// torchmix side of the loader benchmark: one Fashion-MNIST training epoch (60 000 images, batch
// 128, shuffle) with random crop 28 / padding 4 (zero) + horizontal flip + normalise, through
// data.DataLoader; then a fixed small CNN training step (nn.functional on plain tensors) to put
// the loading time per batch next to the step time. Prints one JSON line per measurement.
//   npx tsx scripts/bench/loader/loader.ts --threads 1 --epochs 3 --steps 30
import { torch, nn, data } from '../../../lib/index.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const threads = arg('threads', 1);
const epochs = arg('epochs', 3);
const steps = arg('steps', 30);
torch.setNumThreads(threads);
torch.manualSeed(0);
const F = nn.functional;

const ds = data.fashionMnist({ split: 'train' });
const loader = new data.DataLoader(ds, {
  batchSize: 128,
  shuffle: true,
  seed: 0,
  normalize: { mean: [0.286], std: [0.353] },
  augment: { crop: { size: 28, padding: 4, mode: 'zero' }, flip: true },
});

// One untimed warm-up epoch (first-touch allocations), then timed epochs.
loader.forEach(() => {});
const epochMs: number[] = [];
for (let e = 0; e < epochs; e++) {
  const t0 = performance.now();
  let n = 0;
  // The batch tensors are consumed (a sum per batch would add a reduction; shape access is free).
  loader.forEach((b) => {
    n += b.x.shape[0];
  });
  const ms = performance.now() - t0;
  epochMs.push(ms);
  console.log(JSON.stringify({ impl: 'torchmix', setting: 'DataLoader (batched, on device)', epoch: e, images: n, ms, imgPerS: (n / ms) * 1000, threads }));
}

// Small CNN: conv(1→32,3,p1) relu maxpool2 → conv(32→64,3,p1) relu maxpool2 → linear(3136→128) relu → linear(128→10).
const p = (shape: number[], fanIn: number) =>
  torch.keep(
    torch
      .randn(shape)
      .mul(1 / Math.sqrt(fanIn))
      .requiresGrad_(),
  );
const params = [p([32, 1, 3, 3], 9), p([32], 9), p([64, 32, 3, 3], 288), p([64], 288), p([128, 3136], 3136), p([128], 3136), p([10, 128], 128), p([10], 128)];
const [w1, b1, w2, b2, w3, b3, w4, b4] = params;
function step(x: torch.Tensor, y: torch.Tensor): void {
  let h = F.maxPool2d(F.conv2d(x, w1, b1, { padding: 1 }).relu(), 2);
  h = F.maxPool2d(F.conv2d(h, w2, b2, { padding: 1 }).relu(), 2);
  h = F.linear(F.linear(h.flatten(1), w3, b3).relu(), w4, b4);
  F.crossEntropy(h, y).backward();
  torch.noGrad(() => {
    for (const q of params) {
      q.sub_(q.grad!, { alpha: 0.01 });
      q.grad = null;
    }
  });
}
const it = loader[Symbol.iterator]();
const batch = it.next().value!;
it.return?.();
for (let i = 0; i < 5; i++) torch.tidy(() => step(batch.x, batch.y));
const stepMs: number[] = [];
for (let i = 0; i < steps; i++) {
  const t0 = performance.now();
  torch.tidy(() => step(batch.x, batch.y));
  stepMs.push(performance.now() - t0);
}
const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const loadPerBatch = med(epochMs) / loader.length;
console.log(
  JSON.stringify({
    impl: 'torchmix',
    setting: 'small CNN step',
    stepMs: med(stepMs),
    loadMsPerBatch: loadPerBatch,
    loadPctOfStep: (100 * loadPerBatch) / med(stepMs),
    threads,
  }),
);
