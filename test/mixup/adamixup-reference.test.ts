// AdaMixup against the Python reference (scripts/baselines/adamixup.py, adamixup_step): the same
// weights, batch, permutation, noise and uniforms give the same λ, α, Δ, logits, losses, every
// parameter's gradient (classifier, generator, both heads) and BatchNorm statistics, in float64.
// The reference files are ~40 MB, so they are generated here, into a temporary folder, by
// scripts/fixtures/make_adamixup_fixtures.py with the project's .venv Python (skipped, saying so,
// without it). Also init.truncNormal_ against nn.init.trunc_normal_.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it, expect, afterAll } from 'vitest';
import { torch, nn, mixup } from '../../lib/index.js';
import { packageRoot } from '../../lib/torch/native.js';
import { venvPython, havePython } from '../helpers/python.js';

type Tensor = torch.Tensor;
const py = venvPython;
const script = path.join(packageRoot, 'scripts', 'fixtures', 'make_adamixup_fixtures.py');
const havePy = havePython('torch, safetensors', 'AdaMixup reference tests');

const dir = mkdtempSync(path.join(tmpdir(), 'torchmix-adamixup-ref-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Enc {
  dtype: string;
  shape: number[];
  data: number[];
}
interface Case {
  name: string;
  arch: 'small-cnn' | 'preact-resnet';
  archArgs: Record<string, unknown>;
  numClasses: number;
  B: number;
  h: number;
  stateFrom: string;
  stateKeys: string[];
  policyStateKeys: string[];
  y: Enc;
  perm: Enc;
  u: Enc;
  expected: { loss: number; mixLoss: number; intrusionLoss: number; discAcc: number; lam: Enc; alpha: Enc; delta: Enc; logits: Enc; discLogits: Enc };
  gradKeys: string[];
  noGrad: string[];
  gradRows: Record<string, number>;
  afterKeys: string[];
  afterPolicyKeys: string[];
}
interface Fixture {
  meta: { torch: string };
  truncNormal: {
    seed: number;
    numel: number;
    mean: number;
    std: number;
    a: number;
    b: number;
    first: number[];
    stats: { mean: number; std: number; min: number; max: number };
  };
  cases: Case[];
}

const dec = (e: Enc): Tensor =>
  e.dtype === 'int64' ? torch.tensor(BigInt64Array.from(e.data, (v) => BigInt(v))).reshape(e.shape) : torch.tensor(Float64Array.from(e.data)).reshape(e.shape);
const vals = (t: Tensor) => Array.from(t.toArray() as ArrayLike<number | bigint>, Number);
function maxRelDiff(got: Tensor, want: Tensor): number {
  expect(got.shape).toEqual(want.shape);
  const g = vals(got),
    w = vals(want);
  const scale = w.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-12);
  return g.reduce((m, v, i) => Math.max(m, Math.abs(v - w[i])), 0) / scale;
}

function build(c: Case): nn.Module & nn.Trunked {
  const a = c.archArgs as { inChannels: number; numClasses: number; numBlocks?: [number, number, number, number]; initialChannels?: number };
  if (c.arch === 'small-cnn') return nn.models.smallCNN({ inChannels: a.inChannels, numClasses: a.numClasses, dropout: [0, 0], dtype: 'float64' });
  return new nn.models.PreActResNet(a.numBlocks!, { inChannels: a.inChannels, numClasses: a.numClasses, initialChannels: a.initialChannels, dtype: 'float64' });
}

describe.skipIf(!havePy)('AdaMixup = the Python reference, one step (skipped without .venv/bin/python)', () => {
  let fx: Fixture;
  let bin: Record<string, Tensor>;
  const load = () => {
    if (!fx) {
      execFileSync(py, [script, '--out', dir], { stdio: 'ignore' });
      fx = JSON.parse(readFileSync(path.join(dir, 'mixup_adamixup.json'), 'utf8')) as Fixture;
      bin = torch.load(path.join(dir, 'mixup_adamixup.safetensors'));
    }
    return { fx, bin };
  };

  for (const name of ['small-cnn', 'small-cnn-odd', 'preact-tiny'])
    it(`${name}: λ, α, Δ, logits, losses, all gradients and BatchNorm statistics`, () => {
      const { fx, bin } = load();
      const c = fx.cases.find((k) => k.name === name)!;
      const sub = (prefix: string, keys: string[]) => Object.fromEntries(keys.map((k) => [k, bin[`${prefix}/${k}`]]));
      const model = build(c);
      expect(Object.keys(torch.tidy(() => model.stateDict()))).toEqual(c.stateKeys);
      model.loadStateDict(sub(`${c.stateFrom}/state`, c.stateKeys));
      const x = bin[`${c.name}/x`];
      const method = mixup.adamixup({ sample: { partner: dec(c.perm), noise: [bin[`${c.name}/m1`], bin[`${c.name}/m2`]], uniform: dec(c.u) } });
      const policy = method.attach(model);
      expect(Object.keys(torch.tidy(() => policy.stateDict()))).toEqual(c.policyStateKeys);
      policy.loadStateDict(sub(`${c.stateFrom}/policyState`, c.policyStateKeys));
      model.train();
      policy.train();

      const r = method.apply({ x, y: dec(c.y), numClasses: c.numClasses, model }) as mixup.AdaMixupResult;
      const loss = r.loss(r.output!);
      const e = c.expected;
      expect(maxRelDiff(r.lam, dec(e.lam))).toBeLessThan(1e-10);
      expect(maxRelDiff(r.alpha, dec(e.alpha))).toBeLessThan(1e-10);
      expect(maxRelDiff(r.delta, dec(e.delta))).toBeLessThan(1e-10);
      expect(maxRelDiff(r.output!, dec(e.logits))).toBeLessThan(1e-10);
      expect(Math.abs(vals(loss)[0] - e.loss)).toBeLessThan(1e-10 * Math.abs(e.loss));
      expect(Math.abs(vals(mixup.softTargetCrossEntropy(r.output!, r.target))[0] - e.mixLoss)).toBeLessThan(1e-10 * e.mixLoss);
      expect(Math.abs(vals(r.intrusionLoss)[0] - e.intrusionLoss)).toBeLessThan(1e-10 * e.intrusionLoss);
      expect(vals(r.discAcc)[0]).toBeCloseTo(e.discAcc, 12);

      model.zeroGrad({ setToNone: true });
      policy.zeroGrad({ setToNone: true });
      loss.backward();
      const params = new Map<string, Tensor>([
        ...model.namedParameters().map(([k, t]) => [`model.${k}`, t] as [string, Tensor]),
        ...policy.namedParameters().map(([k, t]) => [`policy.${k}`, t] as [string, Tensor]),
      ]);
      expect(c.gradKeys.length + c.noGrad.length).toBe(params.size);
      let worst = 0;
      for (const k of c.gradKeys) {
        const g = params.get(k)!.grad;
        expect(g, k).not.toBeNull();
        const rows = c.gradRows[k];
        const d = maxRelDiff(rows ? g!.narrow(0, 0, rows) : g!, bin[`${c.name}/grad/${k}`]);
        expect(d, `gradient of ${k}`).toBeLessThan(1e-8);
        worst = Math.max(worst, d);
      }
      for (const k of c.noGrad) expect(params.get(k)!.grad, `${k} has no gradient`).toBeNull();
      // The generator is really trained through λ: its first conv's gradient is checked above and non-zero.
      expect(c.gradKeys).toContain('policy.generator.conv1.weight');
      expect(vals(params.get('policy.generator.conv1.weight')!.grad!.abs().max())[0]).toBeGreaterThan(0);
      // BatchNorm buffers after the step (two classifier-trunk forwards, one generator forward).
      const bufs = Object.fromEntries(model.namedBuffers());
      for (const k of c.afterKeys) expect(maxRelDiff(bufs[k].to('float64'), bin[`${c.name}/after/${k}`].to('float64')), k).toBeLessThan(1e-10);
      const pbufs = Object.fromEntries(policy.namedBuffers());
      for (const k of c.afterPolicyKeys) expect(maxRelDiff(pbufs[k].to('float64'), bin[`${c.name}/afterPolicy/${k}`].to('float64')), k).toBeLessThan(1e-10);
      if (c.arch === 'preact-resnet') expect(c.afterKeys.length).toBeGreaterThan(0);
    });

  it('init.truncNormal_ equals nn.init.trunc_normal_ (same stream on the same LibTorch; distribution on any)', () => {
    const { fx } = load();
    const tn = fx.truncNormal;
    torch.manualSeed(tn.seed);
    const t = nn.init.truncNormal_(torch.empty([tn.numel]), { mean: tn.mean, std: tn.std, a: tn.a, b: tn.b });
    const v = vals(t);
    const sameVersion = torch.config().version === fx.meta.torch.split('+')[0];
    if (sameVersion) v.slice(0, tn.first.length).forEach((x, i) => expect(Math.abs(x - tn.first[i]), `value ${i}`).toBeLessThan(2e-6));
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    const sd = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1));
    expect(Math.abs(m - tn.stats.mean)).toBeLessThan(sameVersion ? 1e-5 : 0.05);
    expect(Math.abs(sd - tn.stats.std)).toBeLessThan(sameVersion ? 1e-5 : 0.05);
    expect(v.reduce((a, b) => Math.min(a, b))).toBeGreaterThanOrEqual(tn.a);
    expect(v.reduce((a, b) => Math.max(a, b))).toBeLessThanOrEqual(tn.b);
  });
});
