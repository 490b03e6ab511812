// lr schedulers against torch.optim.lr_scheduler: the lr of each param group after construction
// and after each step (test/fixtures/optim_schedulers.json, recorded by
// scripts/fixtures/make_optim_fixtures.py), within 1e-12.
import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { torch, optim } from '../../lib/index.js';

const S = optim.lrScheduler;
interface SchedCase {
  name: string;
  optimizer: 'SGD' | 'Adam';
  scheduler: string;
  options: Record<string, unknown>;
  lrs: number[][];
  momenta?: number[][];
}
const fx: { meta: { torch: string }; cases: SchedCase[] } = JSON.parse(readFileSync(new URL('../fixtures/optim_schedulers.json', import.meta.url), 'utf8'));
const TOL = 1e-12;

function makeOpt(kind: 'SGD' | 'Adam') {
  const p1 = torch.zeros([2], { dtype: 'float64', requiresGrad: true });
  const p2 = torch.zeros([3], { dtype: 'float64', requiresGrad: true });
  const groups = [
    { params: [p1], lr: 0.1 },
    { params: [p2], lr: 0.05 },
  ];
  const opt = kind === 'SGD' ? new optim.SGD(groups, { lr: 0.1, momentum: 0.9 }) : new optim.Adam(groups, { lr: 0.1 });
  return { opt, ps: [p1, p2] };
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function build(opt: optim.Optimizer<any>, name: string, options: Record<string, unknown>): optim.lrScheduler.LRScheduler {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const o = options as any;
  switch (name) {
    case 'SequentialLR':
      return new S.SequentialLR(
        opt,
        (o.schedulers as [string, Record<string, unknown>][]).map(([n, so]) => build(opt, n, so)),
        { milestones: o.milestones },
      );
    case 'LambdaLR':
      expect(o.lrLambda).toBe('0.95 ** epoch');
      return new S.LambdaLR(opt, { lrLambda: (epoch) => 0.95 ** epoch });
    default:
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      return new (S as any)[name](opt, o);
  }
}
function expectLrs(got: number[], want: number[], what: string): void {
  expect(got.length, what).toBe(want.length);
  got.forEach((g, i) => {
    if (!(Math.abs(g - want[i]) <= TOL)) throw new Error(`${what} group ${i}: got ${g}, want ${want[i]}`);
  });
}

describe(`lr sequences equal torch.optim.lr_scheduler's (torch ${fx.meta.torch})`, () => {
  for (const c of fx.cases) {
    it(`${c.name} (${c.scheduler}, ${c.lrs.length - 1} steps)`, () => {
      const { opt, ps } = makeOpt(c.optimizer);
      const sch = build(opt, c.scheduler, c.options);
      const momentum = () => opt.paramGroups.map((g) => (c.optimizer === 'Adam' ? (g.betas as number[])[0] : (g.momentum as number)));
      expectLrs(sch.getLastLr(), c.lrs[0], `${c.name} after construction`);
      if (c.momenta) expectLrs(momentum(), c.momenta[0], `${c.name} momentum after construction`);
      for (let k = 1; k < c.lrs.length; k++) {
        for (const p of ps) p.grad = torch.onesLike(p);
        opt.step();
        sch.step();
        expectLrs(sch.getLastLr(), c.lrs[k], `${c.name} step ${k}`);
        expectLrs(
          opt.paramGroups.map((g) => g.lr),
          c.lrs[k],
          `${c.name} step ${k} (optimizer)`,
        );
        if (c.momenta) expectLrs(momentum(), c.momenta[k], `${c.name} momentum step ${k}`);
      }
      opt.dispose();
    });
  }
  it('covers StepLR, MultiStepLR, CosineAnnealingLR (+ warmup), OneCycleLR', () => {
    const names = new Set(fx.cases.map((c) => c.scheduler));
    for (const n of ['StepLR', 'MultiStepLR', 'CosineAnnealingLR', 'LinearLR', 'SequentialLR', 'OneCycleLR']) expect(names.has(n)).toBe(true);
  });
});

describe('scheduler state and errors', () => {
  it('stateDict / loadStateDict resume a schedule (with the optimizer state) exactly', () => {
    const c = fx.cases.find((x) => x.name === 'warmup_cosine')!;
    const a = makeOpt('SGD');
    const sa = build(a.opt, c.scheduler, c.options);
    for (let k = 0; k < 8; k++) sa.step();
    const osd = a.opt.stateDict();
    const ssd = JSON.parse(JSON.stringify(sa.stateDict()));
    // A fresh optimizer and scheduler, as after a restart: build the scheduler, then load both.
    const b = makeOpt('SGD');
    const sb = build(b.opt, c.scheduler, c.options);
    b.opt.loadStateDict(osd);
    sb.loadStateDict(ssd);
    expectLrs(sb.getLastLr(), c.lrs[8], 'resumed');
    for (let k = 9; k < c.lrs.length; k++) {
      sb.step();
      expectLrs(sb.getLastLr(), c.lrs[k], `resumed step ${k}`);
    }
    a.opt.dispose();
    b.opt.dispose();
  });
  it('initialLr is kept in the param groups and in the optimizer state dict', () => {
    const { opt } = makeOpt('SGD');
    new S.StepLR(opt, { stepSize: 2 });
    expect(opt.paramGroups[0].initialLr).toBe(0.1);
    expect(opt.stateDict().paramGroups[1].initialLr).toBe(0.05);
    opt.dispose();
  });
  it('bad options name the option', () => {
    const { opt } = makeOpt('SGD');
    expect(() => new S.StepLR(opt, { stepSize: 0 })).toThrow(/stepSize/);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    expect(() => new S.StepLR(opt, { stepSize: 2, step_size: 3 } as any)).toThrow(/unknown option 'step_size'/);
    expect(() => new S.CosineAnnealingLR(opt, { tMax: 1.5 })).toThrow(/tMax/);
    expect(() => new S.LinearLR(opt, { startFactor: 0 })).toThrow(/startFactor/);
    expect(() => new S.MultiStepLR(opt, { milestones: [1, -2] })).toThrow(/milestones/);
    expect(() => new S.OneCycleLR(opt, { maxLr: 0.1 })).toThrow(/totalSteps/);
    expect(() => new S.OneCycleLR(opt, { maxLr: [0.1], totalSteps: 10 })).toThrow(/maxLr/);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    expect(() => new S.OneCycleLR(opt, { maxLr: 0.1, totalSteps: 10, annealStrategy: 'exp' as any })).toThrow(/annealStrategy/);
    expect(() => new S.SequentialLR(opt, [new S.StepLR(opt, { stepSize: 2 })], { milestones: [3] })).toThrow(/milestone/);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    expect(() => new S.StepLR({} as any, { stepSize: 2 })).toThrow(torch.TorchTypeError);
    opt.dispose();
  });
  it('OneCycleLR stepped past totalSteps throws', () => {
    const { opt } = makeOpt('SGD');
    const s = new S.OneCycleLR(opt, { maxLr: 0.1, totalSteps: 3 });
    for (let k = 0; k < 3; k++) s.step();
    expect(() => s.step()).toThrow(/total steps is 3/);
    opt.dispose();
  });
});
