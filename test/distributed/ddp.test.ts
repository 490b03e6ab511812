// nn.parallel.DistributedDataParallel over loopback Gloo: R ranks with per-rank batch B train
// exactly as one process on batch R·B (float64, BatchNorm-free MLP, SGD with momentum), with one
// bucket and with many, and with noSync accumulation; buffers are rank 0's after synchronize(); a
// rank that dies makes the others' synchronize() reject; misuse gives clear errors.
import { afterEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '../../lib/torch/index.js';
import * as nn from '../../lib/nn/index.js';
import * as optim from '../../lib/optim/index.js';
import { freePort, killAll, launch } from './launch.js';
import { ddpData, makeMlp, STEPS, B, ACCUM } from './ddp-common.js';

const dist = torch.distributed;
const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'ddp-rank.ts');
afterEach(() => killAll());

/** Single-process reference: rank 0's init, batches of R·B·accum rows. */
function reference(R: number, accum: number): number[] {
  torch.manualSeed(100);
  const model = makeMlp();
  const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
  const n = R * B * accum;
  const { x, y } = ddpData(n * STEPS);
  for (let t = 0; t < STEPS; t++) {
    opt.zeroGrad();
    torch.tidy(() => nn.functional.mseLoss(model.forward(x.narrow(0, t * n, n)) as torch.Tensor, y.narrow(0, t * n, n)).backward());
    opt.step();
  }
  return model.parameters().flatMap((p) => Array.from(p.detach().reshape([-1]).toArray() as Float64Array));
}

function expectClose(a: number[], b: number[], tol: number): void {
  expect(a.length).toBe(b.length);
  const worst = Math.max(...a.map((v, i) => Math.abs(v - b[i])));
  expect(worst).toBeLessThan(tol);
}

describe.each([2, 3])('DDP on %i ranks equals one process on the whole batch', (R) => {
  it.each([
    ['one bucket', '25', 1],
    ['a bucket per one or two parameters', '0.00005', 5],
  ])('ERM, %s', async (_name, mb, minBuckets) => {
    const res = await launch('erm', R, { script, hardTimeoutMs: 60_000, env: { TEST_BUCKET_MB: mb } });
    const want = reference(R, 1);
    // Not trivially equal: the initial weights moved.
    const init = (() => {
      torch.manualSeed(100);
      return makeMlp()
        .parameters()
        .flatMap((p) => Array.from(p.toArray() as Float64Array));
    })();
    expect(Math.max(...want.map((v, i) => Math.abs(v - init[i])))).toBeGreaterThan(1e-3);
    for (const p of res) {
      expect(p.code, p.err).toBe(0);
      const o = p.lines[0] as { buckets: number; weights: number[] };
      expect(o.buckets).toBeGreaterThanOrEqual(minBuckets);
      expectClose(o.weights, want, 1e-6);
    }
  });
});

describe('DDP on 2 ranks', () => {
  it('noSync gradient accumulation equals one process on the accumulated batch', async () => {
    const res = await launch('accum', 2, { script, hardTimeoutMs: 60_000 });
    const want = reference(2, ACCUM);
    for (const p of res) {
      expect(p.code, p.err).toBe(0);
      expectClose((p.lines[0] as { weights: number[] }).weights, want, 1e-6);
    }
  });

  it("BatchNorm buffers: rank 0's on every rank after synchronize()", async () => {
    const res = await launch('buffers', 2, { script, hardTimeoutMs: 60_000 });
    for (const p of res) expect(p.code, p.err).toBe(0);
    const [a, b] = res.map((p) => p.lines[0] as { before: number[]; after: number[] });
    expect(Math.max(...a.before.map((v, i) => Math.abs(v - b.before[i])))).toBeGreaterThan(0.05); // they differed
    expect(a.after).toEqual(a.before);
    expect(b.after).toEqual(a.before);
  });

  it('a rank that dies mid-run makes the others\u2019 synchronize() reject within the timeout', async () => {
    const res = await launch('dieMidRun', 2, { script, hardTimeoutMs: 60_000, env: { TEST_DIST_TIMEOUT: '4000' } });
    expect(res[1].code).toBe(9);
    const p = res[0];
    expect(p.code, p.err).toBe(3);
    const o = p.lines.find((l) => 'error' in l) as { error: string; ms: number };
    expect(o.error).toMatch(/DistributedDataParallel\.synchronize: failed on rank 0 of 2/);
    expect(o.ms).toBeLessThan(4000 + 4000);
  });
});

describe('one process (world size 1): misuse gives clear errors', () => {
  it('wrapping before initProcessGroup', async () => {
    await expect(nn.parallel.DistributedDataParallel.create(makeMlp())).rejects.toThrow(
      /DistributedDataParallel: the default process group has not been initialized/,
    );
  });

  it('bad modules and options, unused parameters, a second backward', async () => {
    await dist.initProcessGroup({ backend: 'gloo', initMethod: `tcp://127.0.0.1:${await freePort()}`, rank: 0, worldSize: 1, timeout: 5000 });
    try {
      const DDP = nn.parallel.DistributedDataParallel;
      const frozen = makeMlp().requiresGrad_(false);
      await expect(DDP.create(frozen)).rejects.toThrow(/none of the module's 6 parameters requires a gradient/);
      await expect(DDP.create(makeMlp(), { bucketCapMb: 0 })).rejects.toThrow(/bucketCapMb must be a positive number/);
      await expect(DDP.create(makeMlp(), { bucket: 1 } as never)).rejects.toThrow(/unknown option 'bucket'/);
      await expect(DDP.create({} as nn.Module)).rejects.toThrow(torch.TorchTypeError);
      if (torch.cuda.isAvailable()) await expect(DDP.create(makeMlp().cuda())).rejects.toThrow(/is on cuda.*takes CPU tensors/);

      // A parameter outside the loss: refused by name, unless findUnusedParameters.
      const two = new nn.Sequential(new nn.Linear(3, 2), new nn.Linear(3, 2)).double();
      const x = torch.randn([4, 3], { dtype: 'float64' });
      const d1 = await DDP.create(two);
      const first = two.modules()[1] as nn.Linear;
      d1.prepareForBackward();
      first.forward(x).sum().backward();
      await expect(d1.synchronize()).rejects.toThrow(
        /2 parameter\(s\) received no gradient in this backward \(1\.weight, 1\.bias\).*findUnusedParameters: true/,
      );
      two.zeroGrad({ setToNone: true });
      const d2 = await DDP.create(two, { findUnusedParameters: true });
      d2.prepareForBackward();
      first.forward(x).sum().backward();
      const g0 = Array.from(first.weight.grad!.toArray() as Float64Array);
      await d2.synchronize();
      expect(Array.from(first.weight.grad!.toArray() as Float64Array)).toEqual(g0); // world size 1: the average is itself
      expect((two.modules()[2] as nn.Linear).weight.grad).toBeNull(); // unused on every rank: stays None, as PyTorch

      // A second backward before synchronize().
      const m = makeMlp();
      const d3 = await DDP.create(m);
      const xin = torch.randn([2, 6], { dtype: 'float64' });
      const loss = (d3.forward(xin) as torch.Tensor).sum();
      loss.backward({ retainGraph: true });
      expect(() => loss.backward()).toThrow(/received its gradient twice in one iteration/);
      expect(() => d3.forward(xin)).toThrow(/gradients that were not synchronized/);
      // noSync: no hooks armed, nothing to wait for; the grads accumulate locally.
      const m4 = makeMlp();
      const d4 = await DDP.create(m4);
      d4.noSync(() => (d4.forward(xin) as torch.Tensor).sum().backward());
      d4.noSync(() => (d4.forward(xin) as torch.Tensor).sum().backward());
      const acc = Array.from(m4.parameters()[0].grad!.toArray() as Float64Array);
      await d4.synchronize();
      expect(Array.from(m4.parameters()[0].grad!.toArray() as Float64Array)).toEqual(acc);
    } finally {
      await dist.destroyProcessGroup();
    }
  });
});
