// One rank of the DistributedDataParallel tests (test/distributed/ddp.test.ts): trains a tiny
// float64 model on its slice of a shared, seeded data set and prints the result as one JSON line.
import * as torch from '../../lib/torch/index.js';
import * as nn from '../../lib/nn/index.js';
import * as optim from '../../lib/optim/index.js';
import { ddpData, makeMlp, STEPS, B, ACCUM } from './ddp-common.js';

const dist = torch.distributed;
const out = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');
const timeout = Number(process.env.TEST_DIST_TIMEOUT ?? 20_000);
const flat = (m: nn.Module) => m.parameters().flatMap((p) => Array.from(p.detach().reshape([-1]).toArray() as Float64Array));

// ERM for STEPS steps on per-rank batches of B (ACCUM micro-batches per step, all but the last under noSync).
async function erm(accum: number): Promise<void> {
  torch.setNumThreads(1);
  await dist.initProcessGroup({ backend: 'gloo', timeout });
  const r = dist.getRank();
  const R = dist.getWorldSize();
  torch.manualSeed(100 + r); // a different init on every rank: create() must broadcast rank 0's
  const model = makeMlp();
  const ddp = await nn.parallel.DistributedDataParallel.create(model, { bucketCapMb: Number(process.env.TEST_BUCKET_MB ?? 25) });
  const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
  const { x, y } = ddpData(R * B * accum * STEPS);
  for (let t = 0; t < STEPS; t++) {
    opt.zeroGrad();
    for (let m = 0; m < accum; m++) {
      const at = t * R * B * accum + m * R * B + r * B;
      const step = () =>
        torch.tidy(() => {
          const loss = nn.functional.mseLoss(ddp.forward(x.narrow(0, at, B)) as torch.Tensor, y.narrow(0, at, B)).div(accum);
          loss.backward();
        });
      if (m < accum - 1) ddp.noSync(step);
      else step();
    }
    await ddp.synchronize();
    opt.step();
  }
  out({ rank: r, buckets: ddp.buckets.length, weights: flat(model) });
  await dist.destroyProcessGroup();
}

// BatchNorm: ranks see different data, so their running statistics differ after backward; after
// synchronize() every rank holds rank 0's.
async function buffers(): Promise<void> {
  torch.setNumThreads(1);
  await dist.initProcessGroup({ backend: 'gloo', timeout });
  const r = dist.getRank();
  torch.manualSeed(7);
  const model = new nn.Sequential(new nn.Linear(3, 4), new nn.BatchNorm1d(4), new nn.Linear(4, 1)).double();
  const ddp = await nn.parallel.DistributedDataParallel.create(model);
  const bn = model.modules().find((m) => m instanceof nn.BatchNorm1d)!;
  const stats = () => Array.from(bn.running_mean!.toArray() as Float64Array);
  const x = torch.randn([8, 3], { dtype: 'float64' }).add(r * 3);
  const loss = (ddp.forward(x) as torch.Tensor).sum();
  loss.backward();
  const before = stats();
  await ddp.synchronize();
  out({ rank: r, before, after: stats() });
  await dist.destroyProcessGroup();
}

// Trains, and the last rank dies after its second step: the others' synchronize() must reject.
async function dieMidRun(): Promise<void> {
  torch.setNumThreads(1);
  await dist.initProcessGroup({ backend: 'gloo', timeout });
  const r = dist.getRank();
  const R = dist.getWorldSize();
  torch.manualSeed(1);
  const model = makeMlp();
  const ddp = await nn.parallel.DistributedDataParallel.create(model);
  const { x, y } = ddpData(R * B * 10);
  const t0 = Date.now();
  try {
    for (let t = 0; t < 10; t++) {
      if (t === 2 && r === R - 1) process.exit(9);
      torch.tidy(() => nn.functional.mseLoss(ddp.forward(x.narrow(0, t * R * B + r * B, B)) as torch.Tensor, y.narrow(0, t * R * B + r * B, B)).backward());
      await ddp.synchronize();
    }
    out({ rank: r, error: null });
  } catch (e) {
    out({ rank: r, error: (e as Error).message, ms: Date.now() - t0 });
  }
  process.exit(3);
}

const scenarios: Record<string, () => Promise<void>> = { erm: () => erm(1), accum: () => erm(ACCUM), buffers, dieMidRun };
const fn = scenarios[process.argv[2]];
if (!fn) throw new Error(`unknown scenario ${process.argv[2]}`);
fn().catch((e) => {
  out({ fatal: (e as Error).message });
  process.exit(2);
});
