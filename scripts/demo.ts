// The main job until the Trainer lands: an MLP trained with input mixup (Zhang et al. 2018) on
// Fashion-MNIST, written over the raw tensor API. Every step is one tidy; no sync in the step
// except the loss logged every 100 steps.
//   npx tsx scripts/demo.ts [--epochs 10] [--alpha 1] [--batch-size 128] [--lr 0.05] [--seed 0]
//                           [--device cpu|cuda] [--threads N] [--data-dir DIR] [--out runs/demo]
import { parseArgs } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import { torch, nn, data } from '../lib/index.js';

const F = nn.functional;
type T = torch.Tensor;

function options() {
  const { values } = parseArgs({
    options: {
      epochs: { type: 'string', default: '10' },
      alpha: { type: 'string', default: '1' },
      'batch-size': { type: 'string', default: '128' },
      lr: { type: 'string', default: '0.05' },
      seed: { type: 'string', default: '0' },
      device: { type: 'string', default: 'cpu' },
      threads: { type: 'string' },
      'data-dir': { type: 'string', default: data.FASHION_MNIST_DIR },
      out: { type: 'string', default: 'runs/demo' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(fs.readFileSync(new URL(import.meta.url), 'utf8').split('\n').slice(0, 5).join('\n'));
    process.exit(0);
  }
  const num = (name: keyof typeof values, check: (v: number) => boolean, what: string) => {
    const v = Number(values[name]);
    if (!check(v)) throw new Error(`--${String(name)}: expected ${what}, got '${String(values[name])}'`);
    return v;
  };
  const device = String(values.device);
  if (device.startsWith('cuda') && !torch.cuda.isAvailable()) throw new Error(`--device ${device}: CUDA is not available here`);
  return {
    epochs: num('epochs', (v) => Number.isInteger(v) && v > 0, 'a positive integer'),
    alpha: num('alpha', (v) => v >= 0, 'a number >= 0'),
    batchSize: num('batch-size', (v) => Number.isInteger(v) && v > 0, 'a positive integer'),
    lr: num('lr', (v) => v > 0, 'a positive number'),
    seed: num('seed', (v) => Number.isInteger(v) && v >= 0, 'a non-negative integer'),
    threads: values.threads === undefined ? undefined : num('threads', (v) => Number.isInteger(v) && v > 0, 'a positive integer'),
    device,
    dataDir: String(values['data-dir']),
    out: String(values.out),
  };
}

/** PyTorch's nn.Linear initialisation: U(−1/√fan_in, 1/√fan_in) for weight and bias. */
function linearParams(fanIn: number, fanOut: number, device: string): [T, T] {
  const bound = 1 / Math.sqrt(fanIn);
  const w = torch.empty([fanOut, fanIn], { device }).uniform_(-bound, bound).requiresGrad_();
  const b = torch.empty([fanOut], { device }).uniform_(-bound, bound).requiresGrad_();
  return [w, b];
}

function main() {
  const o = options();
  if (o.threads) torch.setNumThreads(o.threads);
  torch.manualSeed(o.seed);
  const t0 = Date.now();
  const train = data.fashionMnist({ split: 'train', dir: o.dataDir });
  const test = data.fashionMnist({ split: 'test', dir: o.dataDir });
  const [xTrain, yTrain, xTest, yTest] = [train.images, train.labels, test.images, test.labels].map((t) => t.to(o.device));
  const n = xTrain.shape[0];
  console.log(`Fashion-MNIST: ${n} train / ${xTest.shape[0]} test images (${o.dataDir}), loaded in ${Date.now() - t0} ms`);
  console.log(`LibTorch ${torch.config().version}, ${torch.getNumThreads()} threads, device ${o.device}; MLP 784-512-256-10, input mixup α=${o.alpha}`);

  const params = [...linearParams(784, 512, o.device), ...linearParams(512, 256, o.device), ...linearParams(256, 10, o.device)];
  const momenta = params.map((p) => torch.zerosLike(p));
  const forward = (x: T): T => {
    let h = F.relu(F.linear(x, params[0], params[1]));
    h = F.relu(F.linear(h, params[2], params[3]));
    return F.linear(h, params[4], params[5]);
  };
  // uint8 N×1×28×28 → normalised float rows, on the device (Fashion-MNIST mean/std).
  const prep = (u8: T): T => u8.float().div(255).sub(0.286).div(0.353).flatten(1);
  const beta = o.alpha > 0 ? new torch.distributions.Beta(o.alpha, o.alpha, { device: o.device }) : null;

  const evaluate = (): { loss: number; acc: number } =>
    torch.tidy(() =>
      torch.noGrad(() => {
        let correct = torch.zeros([], { device: o.device });
        let loss = torch.zeros([], { device: o.device });
        const m = xTest.shape[0];
        for (let i = 0; i < m; i += 1000) {
          const len = Math.min(1000, m - i);
          const out = forward(prep(xTest.narrow(0, i, len)));
          const y = yTest.narrow(0, i, len);
          correct = correct.add(out.argmax({ dim: 1 }).eq(y).sum());
          loss = loss.add(F.crossEntropy(out, y, { reduction: 'sum' }));
        }
        return { loss: (loss.item() as number) / m, acc: (correct.item() as number) / m };
      }),
    );

  const history: { epoch: number; trainLoss: number; testLoss: number; testAcc: number; seconds: number }[] = [];
  const stepsPerEpoch = Math.floor(n / o.batchSize);
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    const te = Date.now();
    const perm = torch.keep(torch.randperm(n, { device: o.device }));
    let lossSum = 0,
      lossCount = 0;
    for (let s = 0; s < stepsPerEpoch; s++) {
      torch.tidy(() => {
        const idx = perm.narrow(0, s * o.batchSize, o.batchSize);
        const x = prep(xTrain.indexSelect(0, idx));
        const y = yTrain.indexSelect(0, idx);
        let loss: T;
        if (beta) {
          const lam = beta.sample(); // 0-d tensor on the device: no host sync
          const partner = torch.randperm(o.batchSize, { device: o.device });
          const xm = x.mul(lam).add(x.indexSelect(0, partner).mul(lam.rsub(1)));
          const out = forward(xm);
          loss = F.crossEntropy(out, y).mul(lam).add(F.crossEntropy(out, y.indexSelect(0, partner)).mul(lam.rsub(1)));
        } else loss = F.crossEntropy(forward(x), y);
        loss.backward();
        torch.noGrad(() => {
          params.forEach((p, k) => {
            const g = p.grad!;
            momenta[k].mul_(0.9).add_(g);
            p.sub_(momenta[k], { alpha: o.lr });
            p.grad = null;
          });
        });
        if (s % 100 === 0) {
          lossSum += loss.item() as number;
          lossCount++;
        }
      });
    }
    perm.dispose();
    const ev = evaluate();
    const seconds = (Date.now() - te) / 1000;
    history.push({ epoch, trainLoss: lossSum / lossCount, testLoss: ev.loss, testAcc: ev.acc, seconds });
    console.log(
      `epoch ${String(epoch).padStart(2)}/${o.epochs}  train loss ${(lossSum / lossCount).toFixed(4)}  ` +
        `test loss ${ev.loss.toFixed(4)}  test acc ${(100 * ev.acc).toFixed(2)}%  ${seconds.toFixed(1)} s`,
    );
  }
  const final = history[history.length - 1];
  const best = history.reduce((a, b) => (b.testAcc > a.testAcc ? b : a));
  fs.mkdirSync(o.out, { recursive: true });
  const file = path.join(o.out, 'results.json');
  fs.writeFileSync(file, JSON.stringify({ config: o, libtorch: torch.config(), history, final, best }, null, 2) + '\n');
  console.log(`test accuracy: ${(100 * final.testAcc).toFixed(2)}% (best ${(100 * best.testAcc).toFixed(2)}% at epoch ${best.epoch}); results in ${file}`);
}

try {
  main();
} catch (e) {
  console.error(`demo: ${(e as Error).message}`);
  process.exit(1);
}
