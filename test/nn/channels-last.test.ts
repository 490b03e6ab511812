// model.to({ memoryFormat: 'channelsLast' }): the small CNN and PreAct ResNet-18 give the outputs and
// gradients of their contiguous twins (float64: to 1e-12 relative, measured 7e-16 / 2e-14; float32:
// no further from float64 than the contiguous float32 model is, ×4, measured 1.4e-6 vs 1.4e-6 and
// 1.3e-5 vs 5e-6), their conv/batch-norm outputs are NHWC where PyTorch's are (PyTorch run live,
// skipped without the .venv), grads are converted with the weights, and weights saved from a
// channels-last model load back with the same values.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it, expect, afterAll, onTestFinished } from 'vitest';
import { torch, nn, optim } from '../../lib/index.js';
import { venvPython, havePython } from '../helpers/python.js';
type Tensor = torch.Tensor;

const havePy = havePython('torch', 'channels-last output formats vs PyTorch');
const dir = mkdtempSync(path.join(tmpdir(), 'torchmix-chlast-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** max |a − b| / max |b| (relative to the tensor's scale; 0 when both are 0). */
function relDiff(a: Tensor, b: Tensor): number {
  return torch.tidy(() => {
    const d = a.sub(b).abs().max().item() as number;
    return d === 0 ? 0 : d / (b.abs().max().item() as number);
  });
}
/** NHWC strides where they differ from NCHW's (C > 1 and more than one pixel). */
const isNHWC = (t: Tensor) => t.isContiguous({ memoryFormat: 'channelsLast' }) && t.stride(1) === 1;

/** One training-mode forward + backward of Σ out·W; returns the output and the grads by name. */
function step(m: nn.Module, x: Tensor, w: Tensor): { out: Tensor; grads: Map<string, Tensor> } {
  m.zeroGrad({ setToNone: true });
  const out = m.forward(x);
  out.mul(w).sum().backward();
  return { out, grads: new Map(m.namedParameters().map(([n, p]) => [n, p.grad!])) };
}

/** A channels-last twin of `m` (same weights), in `dtype`, converted by one Module.to call. */
function twin<M extends nn.models.Mixable & { freshCopy(): M }>(m: M, dtype: torch.DType): M {
  const cl = m.freshCopy();
  cl.loadStateDict(m.stateDict());
  return cl.to({ dtype, memoryFormat: 'channelsLast' });
}

const models: [string, () => nn.models.Mixable & { freshCopy(): nn.models.Mixable }, number[]][] = [
  // dropout off: its mask is drawn in memory order, so NHWC draws a different (equally random) mask, in PyTorch too
  ['small CNN', () => nn.models.smallCNN({ dropout: [0, 0] }), [4, 1, 28, 28]],
  ['PreAct ResNet-18', () => nn.models.preactResNet18({ inChannels: 3, numClasses: 10 }), [2, 3, 16, 16]],
];

describe('model.to({ memoryFormat: channelsLast })', () => {
  for (const [name, build, shape] of models)
    it(`${name}: forward output and every gradient equal the contiguous model's (float64 to 1e-12; float32 no further from float64 than contiguous float32 is); weights, grads, outputs NHWC`, () => {
      // One intra-op thread: with 2, LibTorch 2.11's NHWC float32 backward gave one ResNet-18 input a 6e-2
      // relative grad error (PyTorch 2.11 reproduces it on the same weights at 2 threads, not at 1).
      const threads = torch.getNumThreads();
      torch.setNumThreads(1);
      onTestFinished(() => torch.setNumThreads(threads));
      torch.manualSeed(1);
      const base = build().to('float64');
      const x = torch.randn(shape, { dtype: 'float64' });
      const w = torch.randn([shape[0], 10], { dtype: 'float64' });
      /** The twin in dtype (channels-last or not), one training-mode step on x: output then grads, as float64. */
      const run = (dtype: torch.DType, channelsLast: boolean) => {
        const m = base.freshCopy();
        m.loadStateDict(base.stateDict());
        m.to(channelsLast ? { dtype, memoryFormat: 'channelsLast' } : { dtype }).train();
        const { out, grads } = step(m, x.to(dtype), w.to(dtype));
        return { m, all: [out, ...m.namedParameters().map(([n]) => grads.get(n)!)].map((t) => t.to('float64')) };
      };
      const names = ['output', ...base.namedParameters().map(([n]) => n)];
      const ref = run('float64', false);
      const cl64 = run('float64', true);
      const c32 = run('float32', false);
      const cl32 = run('float32', true);
      let worst64 = 0,
        worst32 = 0,
        worstC32 = 0;
      names.forEach((n, i) => {
        const d64 = relDiff(cl64.all[i], ref.all[i]);
        expect(d64, `${n} (float64)`).toBeLessThan(1e-12);
        // float32: oneDNN's NHWC kernels sum in another order; a few tiny-variance BN channels
        // (batch 2) amplify rounding in both layouts alike, so the yardstick is contiguous float32's own error.
        const e = relDiff(cl32.all[i], ref.all[i]),
          eC = relDiff(c32.all[i], ref.all[i]);
        expect(e, `${n} (float32: channels-last ${e.toExponential(2)}, contiguous ${eC.toExponential(2)})`).toBeLessThan(4 * eC + 1e-5);
        worst64 = Math.max(worst64, d64);
        worst32 = Math.max(worst32, e);
        worstC32 = Math.max(worstC32, eC);
      });
      console.log(
        `${name}: max relative difference over the output and ${names.length - 1} grads: float64 channels-last vs contiguous ${worst64.toExponential(2)}; ` +
          `float32 vs float64: channels-last ${worst32.toExponential(2)}, contiguous ${worstC32.toExponential(2)}`,
      );
      let n4 = 0;
      for (const [pn, p] of cl32.m.namedParameters()) {
        if (p.ndim !== 4) {
          expect(p.isContiguous(), pn).toBe(true); // 1-D/2-D tensors untouched
          continue;
        }
        n4++;
        expect(p.isContiguous({ memoryFormat: 'channelsLast' }), pn).toBe(true);
        if (p.shape[1] > 1 && p.shape[2] * p.shape[3] > 1) {
          expect(isNHWC(p), `${pn} NHWC`).toBe(true);
          expect(isNHWC(p.grad!), `grad of ${pn} NHWC`).toBe(true);
        }
      }
      expect(n4).toBeGreaterThanOrEqual(2);
      // the batch-norm running statistics moved the same way (float64)
      const bufs = new Map(ref.m.namedBuffers());
      for (const [bn, b] of cl64.m.namedBuffers()) expect(relDiff(b.to('float64'), bufs.get(bn)!.to('float64')), bn).toBeLessThan(1e-12);
    });

  it('the first conv output of each model is NHWC (weights alone decide it, input stays NCHW)', () => {
    torch.manualSeed(3);
    const s = twin<nn.models.SmallCNN>(nn.models.smallCNN(), 'float32');
    const y = s.conv1.forward(torch.randn([2, 1, 28, 28]));
    expect(isNHWC(y)).toBe(true);
    const r = twin<nn.models.PreActResNet>(nn.models.preactResNet18(), 'float32');
    expect(isNHWC(r.conv1.forward(torch.randn([2, 3, 8, 8])))).toBe(true);
  });

  it('converts existing gradients with the weights, and back with contiguousFormat', () => {
    torch.manualSeed(4);
    const m = nn.models.smallCNN({ dropout: [0, 0] });
    m.forward(torch.randn([2, 1, 28, 28]))
      .sum()
      .backward();
    const before = m.conv2.weight.grad!.clone();
    m.to({ memoryFormat: 'channelsLast' });
    const g = m.conv2.weight.grad!;
    expect(isNHWC(g)).toBe(true);
    expect(relDiff(g, before)).toBe(0);
    expect(m.conv2.weight.requiresGrad).toBe(true);
    m.to({ memoryFormat: 'contiguousFormat' });
    expect(m.conv2.weight.isContiguous()).toBe(true);
    expect(m.conv2.weight.grad!.isContiguous()).toBe(true);
    expect(relDiff(m.conv2.weight.grad!, before)).toBe(0);
  });

  it('an optimizer built after the conversion trains the NHWC weights (they change, stay NHWC)', () => {
    torch.manualSeed(5);
    const m = nn.models.smallCNN({ dropout: [0, 0] });
    const ref = m.freshCopy();
    ref.loadStateDict(m.stateDict());
    const w0 = torch.keep(m.conv2.weight.detach().clone());
    m.to({ memoryFormat: 'channelsLast' });
    const x = torch.randn([8, 1, 28, 28]);
    const y = torch.randint(0, 10, [8]);
    for (const net of [m, ref]) {
      const opt = new optim.SGD(net.parameters(), { lr: 0.1, momentum: 0.9 });
      for (let i = 0; i < 3; i++)
        torch.tidy(() => {
          opt.zeroGrad();
          nn.functional.crossEntropy(net.forward(x), y).backward();
          opt.step();
        });
    }
    expect(isNHWC(m.conv2.weight)).toBe(true);
    expect(relDiff(m.conv2.weight, ref.conv2.weight)).toBeLessThan(1e-5);
    expect(relDiff(m.fc1.weight, ref.fc1.weight)).toBeLessThan(1e-5);
    // and they did train (not a comparison of two untouched copies)
    expect(relDiff(ref.conv2.weight, w0)).toBeGreaterThan(1e-4);
  });

  it('weights saved from a channels-last model load into a contiguous one with the same values and outputs', () => {
    torch.manualSeed(6);
    const m = nn.models.preactResNet18({ initialChannels: 8 });
    torch.noGrad(() => m.forward(torch.randn([4, 3, 8, 8]))); // running stats become non-trivial
    m.to({ memoryFormat: 'channelsLast' }).eval();
    const file = path.join(dir, 'cl.safetensors');
    torch.save(m.stateDict(), file);
    const fresh = m.freshCopy().eval();
    fresh.loadStateDict(torch.load(file));
    const x = torch.randn([2, 3, 8, 8]);
    expect(
      relDiff(
        torch.noGrad(() => fresh.forward(x)),
        torch.noGrad(() => m.forward(x)),
      ),
    ).toBeLessThan(1e-5);
    const sd = m.stateDict();
    for (const [k, v] of Object.entries(fresh.stateDict())) {
      expect(v.isContiguous(), k).toBe(true);
      expect(Array.from(v.toArray() as ArrayLike<number | bigint>), k).toEqual(Array.from(sd[k].toArray() as ArrayLike<number | bigint>));
    }
  });

  it('a bad memory format is a TorchValueError naming it; 1-D/2-D models are left alone (as PyTorch)', () => {
    const m = nn.models.smallCNN();
    // @ts-expect-error: PyTorch's Python spelling
    expect(() => m.to({ memoryFormat: 'channels_last' })).toThrow(/Module\.to\(\): memoryFormat must be one of .*camelCase: 'channelsLast'/);
    expect(() => m.to({ memoryFormat: 'channels_last' as never })).toThrow(torch.TorchValueError);
    const mlp = nn.models.mlp([2, 8, 2]).to({ memoryFormat: 'channelsLast' });
    for (const p of mlp.parameters()) expect(p.isContiguous()).toBe(true);
  });
});

describe.skipIf(!havePy)('output formats equal PyTorch for conv → batch norm → relu (skipped without .venv/bin/python)', () => {
  it('weights only, and weights + input, NHWC: output strides match PyTorch', () => {
    const code = `
import json, torch, torch.nn as nn
out = {}
for cin in (1, 3):
    m = nn.Sequential(nn.Conv2d(cin, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU()).to(memory_format=torch.channels_last)
    x = torch.randn(2, cin, 6, 6)
    out[str(cin)] = [list(m(x).stride()), list(m(x.contiguous(memory_format=torch.channels_last)).stride()), list(m[0].weight.stride())]
print(json.dumps(out))`;
    const py = JSON.parse(execFileSync(venvPython, ['-c', code], { encoding: 'utf8' })) as Record<string, number[][]>;
    for (const cin of [1, 3]) {
      const m = new nn.Sequential(new nn.Conv2d(cin, 8, 3, { padding: 1 }), new nn.BatchNorm2d(8), new nn.ReLU()).to({ memoryFormat: 'channelsLast' });
      const x = torch.randn([2, cin, 6, 6]);
      const got = [m.forward(x).stride(), m.forward(x.contiguous({ memoryFormat: 'channelsLast' })).stride(), m.parameters()[0].stride()];
      expect(got, `in channels ${cin}`).toEqual(py[String(cin)]);
    }
  });
});
