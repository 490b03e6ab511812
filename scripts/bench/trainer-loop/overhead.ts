// The Trainer's own per-step cost: an MLP 2→8→2 on two moons, batch 16, ERM, no validation, so
// that the step's compute (~0.1 ms) is small next to the loop around it. Prints one JSON line.
//   node --import tsx scripts/bench/trainer-loop/overhead.ts --root DIR [--epochs 6]
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { root: { type: 'string' }, epochs: { type: 'string', default: '6' }, label: { type: 'string', default: '' } } });
const root = path.resolve(values.root ?? '.');
const { torch, nn, optim, data, mixup, train } = await import(pathToFileURL(path.join(root, 'lib', 'index.ts')).href);
torch.setNumThreads(1);
torch.manualSeed(0);
const ds = data.moons({ n: 4096, noise: 0.1, seed: 1 });
const model = nn.models.mlp([2, 8, 2]);
const optimizer = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
const loader = new data.DataLoader(ds, { batchSize: 16, shuffle: true, seed: 2 });
const epochs = Number(values.epochs);
const t = new train.Trainer({ model, optimizer, method: mixup.none(), train: loader, numClasses: 2, epochs, progress: 'none' });
const h = await t.fit();
// The first epoch warms up (JIT, allocator); report the median of the others.
const secs = h.epochs
  .slice(1)
  .map((e: { seconds: number }) => e.seconds)
  .sort((a: number, b: number) => a - b);
const med = secs[Math.floor(secs.length / 2)];
console.log(JSON.stringify({ label: values.label, usPerStep: (1e6 * med) / loader.length, steps: loader.length, trainLoss: h.last.trainLoss }));
