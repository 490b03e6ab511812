// Learning-rate schedulers with torch.optim.lr_scheduler's semantics and numerics: each step()
// uses PyTorch's chainable form (the new lr from the group's current lr), so sequences equal
// PyTorch's to the last bits; the closed forms are used where PyTorch uses them (SequentialLR's
// switch to the next scheduler). Step per epoch or per iteration: a scheduler only counts step()s.
//
// Linear warmup then cosine, as in PyTorch:
//   new SequentialLR(opt, [new LinearLR(opt, { startFactor: 0.01, totalIters: 5 }),
//                          new CosineAnnealingLR(opt, { tMax: 95 })], { milestones: [5] })
import { TorchTypeError, TorchValueError } from '../torch/errors.js';
import { Optimizer } from './optimizers.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyOptimizer = Optimizer<any>;
type Group = Record<string, unknown> & { lr: number };

function groups(opt: AnyOptimizer): Group[] {
  return opt.paramGroups as unknown as Group[];
}
/** Python's % (the result has the divisor's sign). */
function pymod(a: number, m: number): number {
  return ((a % m) + m) % m;
}
function checkInt(v: unknown, name: string, min: number, who: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new TorchValueError(`${who}: ${name} must be an integer >= ${min}, got ${String(v)}`);
  return v;
}
function checkNum(v: unknown, name: string, who: string, ok: (x: number) => boolean = () => true, rule = 'a finite number'): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw new TorchValueError(`${who}: ${name} must be ${rule}, got ${String(v)}`);
  return v;
}
function checkKeys(opts: object | undefined, allowed: string[], who: string): void {
  if (opts === undefined) return;
  if (opts === null || typeof opts !== 'object') throw new TorchTypeError(`${who}: options must be an object`);
  for (const k of Object.keys(opts)) if (!allowed.includes(k)) throw new TorchValueError(`${who}: unknown option '${k}'; expected ${allowed.join(', ')}`);
}

/** What stateDict() holds: plain JSON-able numbers and arrays. */
export type SchedulerStateDict = Record<string, unknown>;

/** Base class (PyTorch's LRScheduler). Subclasses set their fields, then call _init(lastEpoch). */
export abstract class LRScheduler {
  readonly optimizer: AnyOptimizer;
  /** Steps taken (PyTorch's last_epoch): 0 right after construction. */
  lastEpoch = -1;
  /** The groups' lr when the schedule started (their `initialLr`). */
  baseLrs: number[] = [];
  /** @internal */
  _stepCount = 0;
  /** @internal */
  _isInitial = false;
  /** @internal */
  _lastLr: number[] = [];

  protected constructor(optimizer: AnyOptimizer, who: string) {
    if (!(optimizer instanceof Optimizer)) throw new TorchTypeError(`${who}: expected an optimizer (optim.SGD, optim.Adam …)`);
    this.optimizer = optimizer;
  }

  /** @internal Sets initialLr / baseLrs and takes the initial step (PyTorch's __init__ tail). */
  protected _init(lastEpoch: number, who: string): void {
    checkInt(lastEpoch, 'lastEpoch', -1, who);
    const gs = groups(this.optimizer);
    if (lastEpoch === -1) {
      for (const g of gs) if (g.initialLr === undefined) g.initialLr = g.lr;
    } else {
      gs.forEach((g, i) => {
        if (g.initialLr === undefined)
          throw new TorchValueError(`${who}: paramGroups[${i}] has no initialLr, needed to resume with lastEpoch >= 0 (load the optimizer's state first)`);
      });
    }
    this.baseLrs = gs.map((g) => g.initialLr as number);
    this.lastEpoch = lastEpoch;
    this._initialStep();
  }

  /** @internal */
  _initialStep(): void {
    this._stepCount = 0;
    this._isInitial = true;
    try {
      this.step();
    } finally {
      this._isInitial = false;
    }
  }

  /** The next lr of each group (chainable form); called by step(). */
  protected abstract getLr(): number[];
  /** The lr of each group at lastEpoch from baseLrs, where a closed form exists. */
  protected closedFormLr?(): number[];

  /** Advances the schedule by one epoch or iteration and sets the optimizer's learning rates. */
  step(): void {
    this._stepCount++;
    this._updateLr();
  }

  /** @internal */
  _updateLr(epoch?: number): void {
    let values: number[];
    if (epoch === undefined) {
      this.lastEpoch++;
      values = this.getLr();
    } else {
      this.lastEpoch = epoch;
      values = this.closedFormLr ? this.closedFormLr() : this.getLr();
    }
    const gs = groups(this.optimizer);
    gs.forEach((g, i) => {
      g.lr = values[i];
    });
    this._lastLr = gs.map((g) => g.lr);
  }

  /** The learning rates the last step() set, one per param group. */
  getLastLr(): number[] {
    return [...this._lastLr];
  }

  /** @internal current lrs of the groups */
  protected lrs(): number[] {
    return groups(this.optimizer).map((g) => g.lr);
  }

  /** Every field but the optimizer (as PyTorch), for checkpoints. */
  stateDict(): SchedulerStateDict {
    const out: SchedulerStateDict = {};
    for (const [k, v] of Object.entries(this)) {
      if (k === 'optimizer' || typeof v === 'function') continue;
      out[k] = v instanceof LRScheduler ? v.stateDict() : Array.isArray(v) ? v.map((x) => (x instanceof LRScheduler ? x.stateDict() : x)) : v;
    }
    return out;
  }
  loadStateDict(sd: SchedulerStateDict): void {
    if (sd === null || typeof sd !== 'object') throw new TorchTypeError('loadStateDict(): expected an object from stateDict()');
    const self = this as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(sd)) {
      const cur = self[k];
      if (cur instanceof LRScheduler) cur.loadStateDict(v as SchedulerStateDict);
      else if (Array.isArray(cur) && cur.some((x) => x instanceof LRScheduler))
        (v as SchedulerStateDict[]).forEach((s, i) => (cur[i] as LRScheduler).loadStateDict(s));
      else if (typeof cur !== 'function') self[k] = Array.isArray(v) ? [...v] : v;
    }
  }
}

// ---- StepLR ---------------------------------------------------------------------------------------------
export interface StepLROptions {
  stepSize: number;
  /** Default 0.1. */
  gamma?: number;
  lastEpoch?: number;
}
/** Multiplies the lr by gamma every stepSize steps. */
export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;
  constructor(optimizer: AnyOptimizer, opts: StepLROptions) {
    super(optimizer, 'StepLR');
    checkKeys(opts, ['stepSize', 'gamma', 'lastEpoch'], 'StepLR');
    this.stepSize = checkInt(opts?.stepSize, 'stepSize', 1, 'StepLR');
    this.gamma = checkNum(opts.gamma ?? 0.1, 'gamma', 'StepLR');
    this._init(opts.lastEpoch ?? -1, 'StepLR');
  }
  protected getLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return this.lrs();
    return this.lrs().map((lr) => lr * this.gamma);
  }
  protected closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }
}

// ---- MultiStepLR --------------------------------------------------------------------------------------------
export interface MultiStepLROptions {
  /** Steps at which the lr is multiplied by gamma (a repeated milestone multiplies once per repeat). */
  milestones: number[];
  gamma?: number;
  lastEpoch?: number;
}
export class MultiStepLR extends LRScheduler {
  milestones: number[];
  gamma: number;
  constructor(optimizer: AnyOptimizer, opts: MultiStepLROptions) {
    super(optimizer, 'MultiStepLR');
    checkKeys(opts, ['milestones', 'gamma', 'lastEpoch'], 'MultiStepLR');
    if (!Array.isArray(opts?.milestones)) throw new TorchValueError('MultiStepLR: milestones must be an array of integers');
    this.milestones = opts.milestones.map((m) => checkInt(m, 'milestones[]', 0, 'MultiStepLR')).sort((a, b) => a - b);
    this.gamma = checkNum(opts.gamma ?? 0.1, 'gamma', 'MultiStepLR');
    this._init(opts.lastEpoch ?? -1, 'MultiStepLR');
  }
  protected getLr(): number[] {
    const n = this.milestones.filter((m) => m === this.lastEpoch).length;
    if (n === 0) return this.lrs();
    return this.lrs().map((lr) => lr * this.gamma ** n);
  }
  protected closedFormLr(): number[] {
    const n = this.milestones.filter((m) => m <= this.lastEpoch).length;
    return this.baseLrs.map((b) => b * this.gamma ** n);
  }
}

// ---- ExponentialLR ----------------------------------------------------------------------------------------------
export class ExponentialLR extends LRScheduler {
  gamma: number;
  constructor(optimizer: AnyOptimizer, opts: { gamma: number; lastEpoch?: number }) {
    super(optimizer, 'ExponentialLR');
    checkKeys(opts, ['gamma', 'lastEpoch'], 'ExponentialLR');
    this.gamma = checkNum(opts?.gamma, 'gamma', 'ExponentialLR');
    this._init(opts.lastEpoch ?? -1, 'ExponentialLR');
  }
  protected getLr(): number[] {
    if (this._isInitial) return this.lrs();
    return this.lrs().map((lr) => lr * this.gamma);
  }
  protected closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** this.lastEpoch);
  }
}

// ---- LinearLR --------------------------------------------------------------------------------------------------
export interface LinearLROptions {
  /** Factor at step 0, in (0, 1]. Default 1/3. */
  startFactor?: number;
  /** Factor from totalIters on, in [0, 1]. Default 1. */
  endFactor?: number;
  /** Default 5. */
  totalIters?: number;
  lastEpoch?: number;
}
/** Scales the lr linearly from startFactor to endFactor over totalIters steps (a linear warmup). */
export class LinearLR extends LRScheduler {
  startFactor: number;
  endFactor: number;
  totalIters: number;
  constructor(optimizer: AnyOptimizer, opts: LinearLROptions = {}) {
    super(optimizer, 'LinearLR');
    checkKeys(opts, ['startFactor', 'endFactor', 'totalIters', 'lastEpoch'], 'LinearLR');
    this.startFactor = checkNum(opts.startFactor ?? 1 / 3, 'startFactor', 'LinearLR', (x) => x > 0 && x <= 1, 'in (0, 1]');
    this.endFactor = checkNum(opts.endFactor ?? 1, 'endFactor', 'LinearLR', (x) => x >= 0 && x <= 1, 'in [0, 1]');
    this.totalIters = checkInt(opts.totalIters ?? 5, 'totalIters', 1, 'LinearLR');
    this._init(opts.lastEpoch ?? -1, 'LinearLR');
  }
  protected getLr(): number[] {
    if (this.lastEpoch === 0) return this.lrs().map((lr) => lr * this.startFactor);
    if (this._isInitial || this.lastEpoch > this.totalIters) return this.lrs();
    const d = this.endFactor - this.startFactor;
    return this.lrs().map((lr) => lr * (1.0 + d / (this.totalIters * this.startFactor + (this.lastEpoch - 1) * d)));
  }
  protected closedFormLr(): number[] {
    return this.baseLrs.map(
      (b) => b * (this.startFactor + ((this.endFactor - this.startFactor) * Math.min(this.totalIters, this.lastEpoch)) / this.totalIters),
    );
  }
}

// ---- LambdaLR ---------------------------------------------------------------------------------------------------
/** lr = initial lr · lrLambda(step), one function for all groups or one per group. */
export class LambdaLR extends LRScheduler {
  lrLambdas: ((epoch: number) => number)[];
  constructor(optimizer: AnyOptimizer, opts: { lrLambda: ((epoch: number) => number) | ((epoch: number) => number)[]; lastEpoch?: number }) {
    super(optimizer, 'LambdaLR');
    checkKeys(opts, ['lrLambda', 'lastEpoch'], 'LambdaLR');
    const f = opts?.lrLambda;
    const n = optimizer.paramGroups.length;
    const fs = Array.isArray(f) ? f : Array.from({ length: n }, () => f);
    if (fs.length !== n) throw new TorchValueError(`LambdaLR: expected ${n} lrLambda functions (one per param group), got ${fs.length}`);
    if (!fs.every((x) => typeof x === 'function')) throw new TorchTypeError('LambdaLR: lrLambda must be a function or an array of functions');
    this.lrLambdas = fs;
    this._init(opts.lastEpoch ?? -1, 'LambdaLR');
  }
  protected getLr(): number[] {
    return this.baseLrs.map((b, i) => b * this.lrLambdas[i](this.lastEpoch));
  }
  stateDict(): SchedulerStateDict {
    const sd = super.stateDict();
    delete sd.lrLambdas;
    return sd;
  }
}

// ---- CosineAnnealingLR --------------------------------------------------------------------------------------------
export interface CosineAnnealingLROptions {
  /** Steps of the half cosine. */
  tMax: number;
  /** Default 0. */
  etaMin?: number;
  lastEpoch?: number;
}
/**
 * Cosine annealing from the initial lr to etaMin over tMax steps (and back up after, as PyTorch's
 * recursive form does). For a linear warmup first, put a LinearLR before it in a SequentialLR.
 */
export class CosineAnnealingLR extends LRScheduler {
  tMax: number;
  etaMin: number;
  constructor(optimizer: AnyOptimizer, opts: CosineAnnealingLROptions) {
    super(optimizer, 'CosineAnnealingLR');
    checkKeys(opts, ['tMax', 'etaMin', 'lastEpoch'], 'CosineAnnealingLR');
    this.tMax = checkInt(opts?.tMax, 'tMax', 1, 'CosineAnnealingLR');
    this.etaMin = checkNum(opts.etaMin ?? 0, 'etaMin', 'CosineAnnealingLR');
    this._init(opts.lastEpoch ?? -1, 'CosineAnnealingLR');
  }
  protected getLr(): number[] {
    const { tMax, etaMin, lastEpoch: e } = this;
    if (this._isInitial) return this.lrs();
    if (this._stepCount === 1 && e > 0) return this.baseLrs.map((b) => etaMin + ((b - etaMin) * (1 + Math.cos((e * Math.PI) / tMax))) / 2);
    if (pymod(e - 1 - tMax, 2 * tMax) === 0) {
      const lrs = this.lrs();
      return this.baseLrs.map((b, i) => lrs[i] + ((b - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2);
    }
    return this.lrs().map((lr) => ((1 + Math.cos((Math.PI * e) / tMax)) / (1 + Math.cos((Math.PI * (e - 1)) / tMax))) * (lr - etaMin) + etaMin);
  }
  protected closedFormLr(): number[] {
    return this.baseLrs.map((b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * this.lastEpoch) / this.tMax))) / 2);
  }
}

// ---- SequentialLR ----------------------------------------------------------------------------------------------
/** Runs schedulers one after another, switching at the milestones (PyTorch's SequentialLR). */
export class SequentialLR extends LRScheduler {
  schedulers: LRScheduler[];
  milestones: number[];
  constructor(optimizer: AnyOptimizer, schedulers: LRScheduler[], opts: { milestones: number[]; lastEpoch?: number }) {
    super(optimizer, 'SequentialLR');
    checkKeys(opts, ['milestones', 'lastEpoch'], 'SequentialLR');
    if (!Array.isArray(schedulers) || schedulers.length < 1) throw new TorchValueError('SequentialLR: expects at least one scheduler');
    schedulers.forEach((s, i) => {
      if (!(s instanceof LRScheduler)) throw new TorchTypeError(`SequentialLR: schedulers[${i}] is not a scheduler`);
      if (s.optimizer !== optimizer) throw new TorchValueError(`SequentialLR: schedulers[${i}] belongs to a different optimizer`);
    });
    const ms = opts?.milestones;
    if (!Array.isArray(ms) || ms.length !== schedulers.length - 1)
      throw new TorchValueError(
        `SequentialLR: expects one milestone fewer than schedulers, got ${schedulers.length} schedulers and ${Array.isArray(ms) ? ms.length : 'no'} milestones`,
      );
    ms.forEach((m) => checkInt(m, 'milestones[]', 0, 'SequentialLR'));
    this.schedulers = schedulers;
    this.milestones = [...ms];
    this.lastEpoch = checkInt(opts.lastEpoch ?? -1, 'lastEpoch', -1, 'SequentialLR') + 1;
    // Reset the lrs to their initial values, undo the initial steps of the schedulers, and take
    // the initial step of the first one only.
    for (const g of groups(optimizer)) g.lr = g.initialLr as number;
    this.baseLrs = groups(optimizer).map((g) => g.initialLr as number);
    const undo = (s: LRScheduler): void => {
      if (s instanceof SequentialLR) s.schedulers.forEach(undo);
      else s.lastEpoch -= 1;
    };
    undo(this);
    this.schedulers[0]._initialStep();
    this._lastLr = this.schedulers[0].getLastLr();
  }
  protected getLr(): number[] {
    return this.lrs();
  }
  step(): void {
    this.lastEpoch += 1;
    let idx = 0;
    while (idx < this.milestones.length && this.milestones[idx] <= this.lastEpoch) idx++; // bisect_right
    const s = this.schedulers[idx];
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) s._updateLr(0);
    else s.step();
    this._lastLr = s.getLastLr();
  }
}

// ---- OneCycleLR ---------------------------------------------------------------------------------------------------
export interface OneCycleLROptions {
  /** Peak lr, one for all groups or one per group. */
  maxLr: number | number[];
  /** Total steps; or give epochs and stepsPerEpoch. */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent increasing the lr. Default 0.3. */
  pctStart?: number;
  /** 'cos' (default) or 'linear'. */
  annealStrategy?: 'cos' | 'linear';
  /** Cycle momentum (SGD, RMSprop) or beta1 (Adam, AdamW) inversely to the lr. Default true. */
  cycleMomentum?: boolean;
  baseMomentum?: number | number[];
  maxMomentum?: number | number[];
  /** initial lr = maxLr / divFactor. Default 25. */
  divFactor?: number;
  /** min lr = initial lr / finalDivFactor. Default 1e4. */
  finalDivFactor?: number;
  /** Use fast.ai's three phases. Default false. */
  threePhase?: boolean;
  lastEpoch?: number;
}
interface Phase {
  endStep: number;
  startLr: string;
  endLr: string;
  startMomentum: string;
  endMomentum: string;
}
/** The 1cycle policy (Smith & Topin), stepped once per batch. */
export class OneCycleLR extends LRScheduler {
  totalSteps: number;
  annealStrategy: 'cos' | 'linear';
  cycleMomentum: boolean;
  useBeta1 = false;
  phases: Phase[];
  constructor(optimizer: AnyOptimizer, opts: OneCycleLROptions) {
    super(optimizer, 'OneCycleLR');
    const who = 'OneCycleLR';
    checkKeys(
      opts,
      [
        'maxLr',
        'totalSteps',
        'epochs',
        'stepsPerEpoch',
        'pctStart',
        'annealStrategy',
        'cycleMomentum',
        'baseMomentum',
        'maxMomentum',
        'divFactor',
        'finalDivFactor',
        'threePhase',
        'lastEpoch',
      ],
      who,
    );
    if (opts?.totalSteps !== undefined) this.totalSteps = checkInt(opts.totalSteps, 'totalSteps', 1, who);
    else if (opts?.epochs !== undefined && opts.stepsPerEpoch !== undefined)
      this.totalSteps = checkInt(opts.epochs, 'epochs', 1, who) * checkInt(opts.stepsPerEpoch, 'stepsPerEpoch', 1, who);
    else throw new TorchValueError('OneCycleLR: give totalSteps, or epochs and stepsPerEpoch');
    const pct = checkNum(opts.pctStart ?? 0.3, 'pctStart', who, (x) => x >= 0 && x <= 1, 'in [0, 1]');
    const T = this.totalSteps;
    this.phases = opts.threePhase
      ? [
          { endStep: pct * T - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
          { endStep: 2 * pct * T - 2, startLr: 'maxLr', endLr: 'initialLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
          { endStep: T - 1, startLr: 'initialLr', endLr: 'minLr', startMomentum: 'maxMomentum', endMomentum: 'maxMomentum' },
        ]
      : [
          { endStep: pct * T - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
          { endStep: T - 1, startLr: 'maxLr', endLr: 'minLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
        ];
    const strategy = opts.annealStrategy ?? 'cos';
    if (strategy !== 'cos' && strategy !== 'linear')
      throw new TorchValueError(`OneCycleLR: annealStrategy must be 'cos' or 'linear', got '${String(strategy)}'`);
    this.annealStrategy = strategy;
    const gs = groups(optimizer);
    const perGroup = (v: number | number[], name: string): number[] => {
      if (Array.isArray(v)) {
        if (v.length !== gs.length) throw new TorchValueError(`OneCycleLR: ${name} has ${v.length} values, the optimizer has ${gs.length} param groups`);
        return v.map((x) => checkNum(x, name, who));
      }
      return gs.map(() => checkNum(v, name, who));
    };
    const lastEpoch = opts.lastEpoch ?? -1;
    const maxLrs = perGroup(opts.maxLr, 'maxLr');
    const divFactor = checkNum(opts.divFactor ?? 25, 'divFactor', who);
    const finalDivFactor = checkNum(opts.finalDivFactor ?? 1e4, 'finalDivFactor', who);
    if (lastEpoch === -1)
      gs.forEach((g, i) => {
        g.initialLr = maxLrs[i] / divFactor;
        g.maxLr = maxLrs[i];
        g.minLr = (g.initialLr as number) / finalDivFactor;
      });
    this.cycleMomentum = opts.cycleMomentum ?? true;
    if (this.cycleMomentum) {
      const d = optimizer.defaults as Record<string, unknown>;
      if (!('momentum' in d) && !('betas' in d)) throw new TorchValueError('OneCycleLR: the optimizer must have momentum or betas when cycleMomentum is on');
      this.useBeta1 = 'betas' in d;
      const maxM = perGroup(opts.maxMomentum ?? 0.95, 'maxMomentum');
      const baseM = perGroup(opts.baseMomentum ?? 0.85, 'baseMomentum');
      if (lastEpoch === -1)
        gs.forEach((g, i) => {
          if (this.useBeta1) g.betas = [maxM[i], (g.betas as number[])[1]];
          else g.momentum = maxM[i];
          g.maxMomentum = maxM[i];
          g.baseMomentum = baseM[i];
        });
    }
    this._init(lastEpoch, who);
  }
  private anneal(start: number, end: number, pct: number): number {
    if (this.annealStrategy === 'cos') return end + ((start - end) / 2.0) * (Math.cos(Math.PI * pct) + 1);
    return (end - start) * pct + start;
  }
  protected getLr(): number[] {
    const step = this.lastEpoch;
    if (step > this.totalSteps) throw new TorchValueError(`OneCycleLR: tried to step ${step} times; the specified number of total steps is ${this.totalSteps}`);
    return groups(this.optimizer).map((g) => {
      let start = 0;
      let lr = 0;
      let mom = 0;
      for (let i = 0; i < this.phases.length; i++) {
        const ph = this.phases[i];
        if (step <= ph.endStep || i === this.phases.length - 1) {
          const pct = (step - start) / (ph.endStep - start);
          lr = this.anneal(g[ph.startLr] as number, g[ph.endLr] as number, pct);
          if (this.cycleMomentum) mom = this.anneal(g[ph.startMomentum] as number, g[ph.endMomentum] as number, pct);
          break;
        }
        start = ph.endStep;
      }
      if (this.cycleMomentum) {
        if (this.useBeta1) g.betas = [mom, (g.betas as number[])[1]];
        else g.momentum = mom;
      }
      return lr;
    });
  }
}
