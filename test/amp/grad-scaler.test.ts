// amp.GradScaler against PyTorch's torch.amp.GradScaler('cpu') run live (the project's .venv
// Python): the same model, data and optimizer, a sequence of steps with an inf and a NaN gradient
// injected; after each update the scale, the growth tracker, whether the step was skipped and the
// parameters must equal PyTorch's. Plus the call-order errors and the state-dict round trip.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it, expect, afterAll } from 'vitest';
import { torch, nn, optim, amp } from '../../lib/index.js';
import { venvPython, havePython } from '../helpers/python.js';

const F = nn.functional;
const havePy = havePython('torch, safetensors', 'GradScaler vs PyTorch tests');
const dir = mkdtempSync(path.join(tmpdir(), 'torchmix-scaler-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const STEPS = 9;
const INJECT: Record<number, number> = { 2: Infinity, 5: NaN, 6: -Infinity }; // step → value written into one gradient element
const OPTS = { initScale: 1024, growthFactor: 2, backoffFactor: 0.5, growthInterval: 2 };

const PY = String.raw`
import json, sys, math, torch
from safetensors.torch import load_file
t = load_file(sys.argv[1])
inject = {int(k): float(v) for k, v in json.loads(sys.argv[2]).items()}
w = t['w'].clone().requires_grad_(); b = t['b'].clone().requires_grad_()
opt = torch.optim.SGD([w, b], lr=0.05, momentum=0.9)
scaler = torch.amp.GradScaler('cpu', init_scale=1024, growth_factor=2, backoff_factor=0.5, growth_interval=2)
out = []
for i in range(${STEPS}):
    x, y = t['x%d' % i], t['y%d' % i]
    opt.zero_grad()
    loss = torch.nn.functional.mse_loss(torch.nn.functional.linear(x, w, b), y)
    scaler.scale(loss).backward()
    if i in inject:
        with torch.no_grad(): w.grad[0, 1] = inject[i]
    scaler.unscale_(opt)
    grad_after_unscale = b.grad.clone()
    r = scaler.step(opt)
    before = scaler.get_scale()
    scaler.update()
    skipped = scaler.get_scale() < before
    out.append({'scale': scaler.get_scale(), 'tracker': scaler._get_growth_tracker(), 'skipped': skipped,
                'w': w.detach().flatten().tolist(), 'b': b.detach().tolist(), 'bgrad': grad_after_unscale.tolist()})
print(json.dumps(out))
`;

function data() {
  torch.manualSeed(7);
  const t: Record<string, torch.Tensor> = { w: torch.randn([3, 4]), b: torch.randn([3]) };
  for (let i = 0; i < STEPS; i++) {
    t[`x${i}`] = torch.randn([5, 4]);
    t[`y${i}`] = torch.randn([5, 3]);
  }
  return t;
}

const close = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));

describe.skipIf(!havePy)('GradScaler vs torch.amp.GradScaler("cpu") (skipped without .venv/bin/python)', () => {
  it('scale, growth tracker, skipped steps and parameters after each step equal PyTorch', () => {
    const t = data();
    const f = path.join(dir, 'scaler.safetensors');
    torch.save(t, f);
    const inj = Object.fromEntries(Object.entries(INJECT).map(([k, v]) => [k, String(v).replace('Infinity', 'inf')]));
    const ref = JSON.parse(execFileSync(venvPython, ['-c', PY, f, JSON.stringify(inj)], { encoding: 'utf8' })) as {
      scale: number;
      tracker: number;
      skipped: boolean;
      w: number[];
      b: number[];
      bgrad: number[];
    }[];
    const w = t.w.clone().requiresGrad_();
    const b = t.b.clone().requiresGrad_();
    const opt = new optim.SGD([w, b], { lr: 0.05, momentum: 0.9 });
    const scaler = new amp.GradScaler({ device: 'cpu', ...OPTS });
    const skippedSeen: boolean[] = [];
    for (let i = 0; i < STEPS; i++) {
      torch.tidy(() => {
        opt.zeroGrad();
        const loss = F.mseLoss(F.linear(t[`x${i}`], w, b), t[`y${i}`]);
        scaler.scale(loss).backward();
        if (i in INJECT) torch.noGrad(() => w.grad!.select(0, 0).select(0, 1).fill_(INJECT[i]));
        scaler.unscale_(opt);
        const bgrad = b.grad!.toArray() as Float32Array;
        const before = scaler.skippedSteps;
        const r = scaler.step(opt);
        expect(r).toBeUndefined();
        scaler.update();
        const skipped = scaler.skippedSteps > before;
        skippedSeen.push(skipped);
        const R = ref[i];
        expect(scaler.getScale(), `scale after step ${i}`).toBe(R.scale);
        expect(scaler.getGrowthTracker(), `tracker after step ${i}`).toBe(R.tracker);
        expect(skipped, `skipped at step ${i}`).toBe(R.skipped);
        expect(close(bgrad, R.bgrad), `unscaled grad at step ${i}`).toBeLessThan(1e-6);
        expect(close(w.detach().flatten().toArray() as Float32Array, R.w), `w after step ${i}`).toBeLessThan(1e-6);
        expect(close(b.detach().toArray() as Float32Array, R.b), `b after step ${i}`).toBeLessThan(1e-6);
      });
    }
    // The sequence exercised every branch: skips at the injected steps only, growth after 2 good steps.
    expect(skippedSeen).toEqual(Array.from({ length: STEPS }, (_, i) => i in INJECT));
    expect(ref.map((r) => r.scale)).toEqual([1024, 2048, 1024, 1024, 2048, 1024, 512, 512, 1024]);
    expect(scaler.skippedSteps).toBe(3);
  });
});

describe('GradScaler', () => {
  const setup = () => {
    torch.manualSeed(1);
    const w = torch.randn([2, 3]).requiresGrad_();
    const opt = new optim.SGD([w], { lr: 0.1 });
    const loss = () => w.sum().mul(2);
    return { w, opt, loss };
  };

  it('scale(loss) multiplies by the scale; the gradients unscale back to the true ones', () => {
    const { w, opt, loss } = setup();
    const s = new amp.GradScaler({ device: 'cpu', initScale: 256 });
    const l = s.scale(loss());
    expect(l.item()).toBeCloseTo((loss().item() as number) * 256, 2);
    l.backward();
    expect(Array.from(w.grad!.flatten().toArray() as Float32Array)).toEqual(Array(6).fill(512));
    s.unscale_(opt);
    expect(Array.from(w.grad!.flatten().toArray() as Float32Array)).toEqual(Array(6).fill(2));
  });

  it('unscale_ twice, step twice, unscale_ after step, and calls before scale() throw clear errors', () => {
    const { opt, loss } = setup();
    const s = new amp.GradScaler({ device: 'cpu' });
    expect(() => s.unscale_(opt)).toThrow(/before scale\(\)/);
    s.scale(loss()).backward();
    s.unscale_(opt);
    expect(() => s.unscale_(opt)).toThrow(/unscale_\(\) has already been called on this optimizer since the last update\(\)/);
    s.step(opt);
    expect(() => s.step(opt)).toThrow(/step\(\) has already been called since the last update\(\)/);
    expect(() => s.unscale_(opt)).toThrow(/unscale_\(\) is being called after step\(\)/);
    s.update();
    // a new step may unscale again
    opt.zeroGrad();
    s.scale(loss()).backward();
    expect(() => s.unscale_(opt)).not.toThrow();
  });

  it('update() without step() throws; update(newScale) sets the scale', () => {
    const { loss } = setup();
    const s = new amp.GradScaler({ device: 'cpu' });
    s.scale(loss());
    expect(() => s.update()).toThrow(/no inf checks were recorded prior to update/);
    s.update(8);
    expect(s.getScale()).toBe(8);
    expect(() => s.update(-1)).toThrow(/newScale must be a finite number > 0/);
  });

  it('stateDict round trip: a fresh scaler continues where the saved one was', () => {
    const { opt, w, loss } = setup();
    const s = new amp.GradScaler({ device: 'cpu', initScale: 64, growthInterval: 3 });
    for (let i = 0; i < 2; i++) {
      opt.zeroGrad();
      s.scale(loss()).backward();
      s.step(opt);
      s.update();
    }
    opt.zeroGrad();
    s.scale(loss()).backward();
    torch.noGrad(() => w.grad!.fill_(NaN));
    s.step(opt);
    s.update();
    const sd = s.stateDict();
    expect(sd).toEqual({ scale: 32, growthFactor: 2, backoffFactor: 0.5, growthInterval: 3, growthTracker: 0 });
    const t = new amp.GradScaler({ device: 'cpu' });
    t.loadStateDict(JSON.parse(JSON.stringify(sd)) as amp.GradScalerState);
    expect(t.getScale()).toBe(32);
    expect(t.stateDict()).toEqual(sd);
    // and it behaves like the original from here: 3 good steps grow 32 → 64
    for (let i = 0; i < 3; i++) {
      opt.zeroGrad();
      t.scale(loss()).backward();
      t.step(opt);
      t.update();
    }
    expect(t.getScale()).toBe(64);
    expect(() => t.loadStateDict({})).toThrow(/empty/);
    expect(() => t.loadStateDict({ ...sd, scale: Number.NaN })).toThrow(/'scale' must be a finite number/);
  });

  it('disabled: scale() is the identity, step() just steps, stateDict() is {}', () => {
    const { opt, w, loss } = setup();
    const s = new amp.GradScaler({ enabled: false });
    const l = loss();
    expect(s.scale(l)).toBe(l);
    l.backward();
    const before = w.detach().clone();
    s.step(opt);
    s.update();
    expect(w.detach().sub(before).abs().max().item()).toBeGreaterThan(0.1);
    expect(s.getScale()).toBe(1);
    expect(s.stateDict()).toEqual({});
  });

  it('bad options name the option', () => {
    expect(() => new amp.GradScaler({ growthFactor: 1 })).toThrow(/growthFactor must be a finite number > 1/);
    expect(() => new amp.GradScaler({ backoffFactor: 1 })).toThrow(/backoffFactor must be in \(0, 1\)/);
    expect(() => new amp.GradScaler({ growthInterval: 0.5 })).toThrow(/growthInterval must be a positive integer/);
    expect(() => new amp.GradScaler({ initScale: 0 })).toThrow(/initScale/);
    expect(() => new amp.GradScaler({ device: 'tpu' as 'cpu' })).toThrow(/device must be 'cpu' or 'cuda'/);
    expect(() => new amp.GradScaler({ scale: 2 } as amp.GradScalerOptions)).toThrow(/unknown option 'scale'/);
    if (!torch.cuda.isAvailable()) expect(() => new amp.GradScaler({ device: 'cuda' })).toThrow(/CUDA is not available/);
  });
});
