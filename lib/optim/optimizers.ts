// Optimizers over native torch::optim (native/optim.cc): SGD, Adam, AdamW, RMSprop with param
// groups, per-group options readable and writable as in PyTorch (`opt.paramGroups[0].lr = 0.01`),
// zeroGrad({ setToNone }) with the same meaning on LibTorch 1.13 and 2.x, and stateDict() /
// loadStateDict(). Options are checked here, with messages that name the option.
import { N } from '../torch/native.js';
import { Tensor, tid, wrap } from '../torch/tensor.js';
import { TorchError, TorchTypeError, TorchValueError } from '../torch/errors.js';

// ---- option tables ------------------------------------------------------------------------------------
// Each optimizer's options in the positional order native/optim.cc expects. `betas` fills two slots.
/** @internal */
export type Field = { key: string; kind: 'number' | 'bool' | 'betas'; check: (v: number) => boolean; rule: string };

const nonNeg = (v: number) => v >= 0;
const unit = (v: number) => v >= 0 && v < 1;
const F = {
  lr: { key: 'lr', kind: 'number', check: nonNeg, rule: 'a number >= 0' },
  momentum: { key: 'momentum', kind: 'number', check: nonNeg, rule: 'a number >= 0' },
  dampening: { key: 'dampening', kind: 'number', check: () => true, rule: 'a number' },
  nesterov: { key: 'nesterov', kind: 'bool', check: () => true, rule: 'a boolean' },
  weightDecay: { key: 'weightDecay', kind: 'number', check: nonNeg, rule: 'a number >= 0' },
  betas: { key: 'betas', kind: 'betas', check: unit, rule: 'a pair [beta1, beta2] with each in [0, 1)' },
  eps: { key: 'eps', kind: 'number', check: nonNeg, rule: 'a number >= 0' },
  amsgrad: { key: 'amsgrad', kind: 'bool', check: () => true, rule: 'a boolean' },
  alpha: { key: 'alpha', kind: 'number', check: nonNeg, rule: 'a number >= 0' },
  centered: { key: 'centered', kind: 'bool', check: () => true, rule: 'a boolean' },
} satisfies Record<string, Field>;

/** @internal */
export interface Spec {
  name: string;
  code: number;
  fields: Field[];
  defaults: Record<string, number | boolean | [number, number]>;
}
const SGD_SPEC: Spec = {
  name: 'SGD',
  code: 0,
  fields: [F.lr, F.momentum, F.dampening, F.nesterov, F.weightDecay],
  defaults: { lr: 1e-3, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 },
};
const ADAM_SPEC: Spec = {
  name: 'Adam',
  code: 1,
  fields: [F.lr, F.betas, F.eps, F.weightDecay, F.amsgrad],
  defaults: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false },
};
const ADAMW_SPEC: Spec = { ...ADAM_SPEC, name: 'AdamW', code: 2, defaults: { ...ADAM_SPEC.defaults, weightDecay: 1e-2 } };
const RMSPROP_SPEC: Spec = {
  name: 'RMSprop',
  code: 3,
  fields: [F.lr, F.alpha, F.eps, F.weightDecay, F.momentum, F.centered],
  defaults: { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false },
};

/** Keys the learning-rate schedulers keep in a param group (PyTorch's initial_lr, max_lr …). */
const SCHEDULER_KEYS = new Set(['initialLr', 'maxLr', 'minLr', 'maxMomentum', 'baseMomentum']);

function camel(s: string): string {
  return s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

function checkValue(spec: Spec, key: string, v: unknown): void {
  const f = spec.fields.find((x) => x.key === key)!;
  const bad = () => new TorchValueError(`${spec.name}: invalid ${key} ${fmt(v)}: expected ${f.rule}`);
  if (f.kind === 'bool') {
    if (typeof v !== 'boolean') throw bad();
  } else if (f.kind === 'betas') {
    if (!Array.isArray(v) || v.length !== 2 || !v.every((b) => typeof b === 'number' && Number.isFinite(b) && f.check(b))) throw bad();
  } else if (typeof v !== 'number' || !Number.isFinite(v) || !f.check(v)) throw bad();
}
function fmt(v: unknown): string {
  return Array.isArray(v) ? `[${v.map(String).join(', ')}]` : typeof v === 'string' ? `'${v}'` : String(v);
}

/** Checks an options object (or a param group, whose `params` the caller removed); returns a copy. */
function checkOptions(spec: Spec, opts: Record<string, unknown>, where: string, allowExtra: boolean): Record<string, unknown> {
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw new TorchTypeError(`${spec.name}: ${where} must be an object`);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(opts)) {
    if (v === undefined) continue;
    if (spec.fields.some((f) => f.key === k)) {
      checkValue(spec, k, v);
      out[k] = Array.isArray(v) ? [...v] : v;
    } else if (allowExtra && SCHEDULER_KEYS.has(k)) {
      out[k] = v;
    } else {
      const alt = camel(k);
      const hint = alt !== k && spec.fields.some((f) => f.key === alt) ? ` (did you mean '${alt}'?)` : '';
      throw new TorchValueError(`${spec.name}: unknown option '${k}' in ${where}${hint}; expected ${spec.fields.map((f) => f.key).join(', ')}`);
    }
  }
  return out;
}

function checkCombination(spec: Spec, o: Record<string, unknown>, where: string): void {
  if (spec.code === 0 && o.nesterov === true && (!((o.momentum as number) > 0) || o.dampening !== 0))
    throw new TorchValueError(`SGD: nesterov momentum requires a momentum > 0 and zero dampening (${where})`);
}

function encode(spec: Spec, o: Record<string, unknown>): number[] {
  const out: number[] = [];
  for (const f of spec.fields) {
    const v = o[f.key];
    if (f.kind === 'betas') out.push(...(v as [number, number]));
    else if (f.kind === 'bool') out.push(v ? 1 : 0);
    else out.push(v as number);
  }
  return out;
}
function decode(spec: Spec, a: number[], key: string): number | boolean | [number, number] {
  let i = 0;
  for (const f of spec.fields) {
    if (f.key === key) {
      if (f.kind === 'betas') return [a[i], a[i + 1]];
      return f.kind === 'bool' ? a[i] !== 0 : a[i];
    }
    i += f.kind === 'betas' ? 2 : 1;
  }
  throw new TorchError(`unknown option ${key}`);
}

// ---- public types --------------------------------------------------------------------------------------
export interface SGDOptions {
  lr?: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
}
export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
}
export type AdamWOptions = AdamOptions;
export interface RMSpropOptions {
  lr?: number;
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
}

/** A param group as given to a constructor: its tensors plus options that override the defaults. */
export type ParamGroupInit<O> = { params: Iterable<Tensor> } & O;
/** Parameters: a list of tensors (one group) or a list of param groups. */
export type Params<O> = Iterable<Tensor> | ParamGroupInit<O>[];

/**
 * One param group: `params` and every option of the optimizer as a property that reads and
 * writes the native optimizer (`opt.paramGroups[0].lr = 0.01`). Schedulers keep their own keys
 * here too (`initialLr`, `maxLr`, …), as PyTorch keeps `initial_lr` in the group dict.
 */
export type ParamGroup<O> = { readonly params: Tensor[]; initialLr?: number; [extra: string]: unknown } & Required<O>;

/** Per-parameter state as PyTorch names it: `step` (a number), and tensors such as `exp_avg`. */
export type ParamState = { step?: number; [name: string]: Tensor | number | undefined };
export interface OptimizerStateDict {
  /** By parameter index (numbered across groups in order, as PyTorch does); absent before the first step. */
  state: Record<number, ParamState>;
  /** Each group's options, scheduler keys, and the indices of its parameters. */
  paramGroups: Array<Record<string, unknown> & { params: number[] }>;
}

const registry = new FinalizationRegistry<number>((id) => {
  try {
    N.optimFree(id);
  } catch {
    // already disposed
  }
});

// ---- the base class --------------------------------------------------------------------------------------
export abstract class Optimizer<O extends object> {
  /** @internal native handle; -1 once disposed */
  _id: number;
  /** The options every group starts from (the constructor's options over PyTorch's defaults). */
  readonly defaults: Required<O>;
  readonly paramGroups: ParamGroup<O>[] = [];
  /** @internal */
  readonly _spec: Spec;

  /** @internal */
  protected constructor(spec: Spec, params: Params<O>, options: O | undefined) {
    this._spec = spec;
    const given = checkOptions(spec, options ?? {}, 'options', false);
    const defaults = { ...spec.defaults, ...given };
    this.defaults = defaults as Required<O>;
    const groups = normalizeParams(spec, params);
    if (groups.length === 0) throw new TorchValueError(`${spec.name}: got an empty parameter list`);
    const seen = new Set<Tensor>();
    const ids: number[][] = [];
    const opts: number[][] = [];
    const resolved: Record<string, unknown>[] = [];
    groups.forEach((g, gi) => {
      const where = groups.length > 1 || !g.isList ? `param group ${gi}` : 'options';
      const o = { ...defaults, ...checkOptions(spec, g.rest, `param group ${gi}`, true) };
      checkCombination(spec, o, where);
      if (g.params.length === 0) throw new TorchValueError(`${spec.name}: param group ${gi} has no parameters`);
      g.params.forEach((p, k) => {
        if (seen.has(p)) throw new TorchValueError(`${spec.name}: some parameters appear in more than one parameter group (param group ${gi}, params[${k}])`);
        seen.add(p);
      });
      ids.push(g.params.map((p, k) => tid(p, `${spec.name}: param group ${gi} params[${k}]`)));
      opts.push(encode(spec, o));
      resolved.push(o);
    });
    this._id = N.optimCreate(spec.code, ids, opts);
    registry.register(this, this._id, this);
    groups.forEach((g, gi) => this.paramGroups.push(this._makeGroup(gi, g.params, resolved[gi])));
  }

  /** @internal */
  _makeGroup(index: number, params: Tensor[], o: Record<string, unknown>): ParamGroup<O> {
    const group: Record<string, unknown> = {};
    Object.defineProperty(group, 'params', { value: params, enumerable: true });
    const spec = this._spec;
    for (const f of spec.fields) {
      if (f.key === 'lr') {
        Object.defineProperty(group, 'lr', {
          enumerable: true,
          get: () => N.optimGetLr(this._id, index),
          set: (v: unknown) => {
            if (typeof v !== 'number' || !Number.isFinite(v)) throw new TorchValueError(`${spec.name}: invalid lr ${fmt(v)}: expected a finite number`);
            N.optimSetLr(this._id, index, v);
          },
        });
        continue;
      }
      Object.defineProperty(group, f.key, {
        enumerable: true,
        get: () => decode(spec, N.optimGetOptions(this._id, index), f.key),
        set: (v: unknown) => {
          checkValue(spec, f.key, v);
          const cur: Record<string, unknown> = {};
          const a: number[] = N.optimGetOptions(this._id, index);
          for (const g of spec.fields) cur[g.key] = decode(spec, a, g.key);
          cur[f.key] = v;
          checkCombination(spec, cur, `param group ${index}`);
          N.optimSetOptions(this._id, index, encode(spec, cur));
        },
      });
    }
    for (const [k, v] of Object.entries(o)) if (SCHEDULER_KEYS.has(k)) group[k] = v;
    return group as ParamGroup<O>;
  }

  /** Adds a param group (PyTorch's add_param_group); options not given come from `defaults`. */
  addParamGroup(group: ParamGroupInit<O>): void {
    const spec = this._spec;
    const [g] = normalizeParams(spec, [group] as Params<O>);
    const gi = this.paramGroups.length;
    const o = { ...this.defaults, ...checkOptions(spec, g.rest, `param group ${gi}`, true) } as Record<string, unknown>;
    checkCombination(spec, o, `param group ${gi}`);
    for (const pg of this.paramGroups)
      for (const p of g.params) if (pg.params.includes(p)) throw new TorchValueError(`${spec.name}: some parameters appear in more than one parameter group`);
    N.optimAddParamGroup(
      this._id,
      g.params.map((p, k) => tid(p, `${spec.name}: param group ${gi} params[${k}]`)),
      encode(spec, o),
    );
    this.paramGroups.push(this._makeGroup(gi, g.params, o));
  }

  /** One optimization step. With a closure, calls it first (it should recompute the loss with
   *  gradients) and returns its result, as PyTorch's step(closure). */
  step(closure?: () => Tensor): Tensor | undefined {
    const loss = closure ? closure() : undefined;
    N.optimStep(this._id);
    return loss;
  }

  /** Resets the gradients of all parameters: to null (`setToNone`, the default, as PyTorch 2.x),
   *  or to zeros in place (detached), on every LibTorch version. */
  zeroGrad(opts: { setToNone?: boolean } = {}): void {
    const setToNone = opts.setToNone ?? true;
    if (typeof setToNone !== 'boolean') throw new TorchTypeError(`zeroGrad(): setToNone must be a boolean, got ${fmt(setToNone)}`);
    N.optimZeroGrad(this._id, setToNone);
  }

  /** The optimizer's state: per-parameter buffers (new handles to the optimizer's own tensors, as
   *  PyTorch's state_dict() returns references) and each group's options. */
  stateDict(): OptimizerStateDict {
    const raw: (Record<string, number> | null)[] = N.optimGetState(this._id);
    const state: Record<number, ParamState> = {};
    raw.forEach((s, k) => {
      if (s === null) return;
      const e: ParamState = {};
      for (const [name, v] of Object.entries(s)) e[name] = name === 'step' ? v : wrap(v);
      state[k] = e;
    });
    let index = 0;
    const paramGroups = this.paramGroups.map((g) => {
      const out: Record<string, unknown> = {};
      for (const f of this._spec.fields) {
        const v = g[f.key];
        out[f.key] = Array.isArray(v) ? [...v] : v;
      }
      for (const k of SCHEDULER_KEYS) if (g[k] !== undefined) out[k] = g[k];
      out.params = g.params.map(() => index++);
      return out as Record<string, unknown> & { params: number[] };
    });
    return { state, paramGroups };
  }

  /** Loads a state from stateDict(): group options (and scheduler keys) and per-parameter
   *  buffers, copied to each parameter's dtype and device. Groups must match in number and size. */
  loadStateDict(sd: OptimizerStateDict): void {
    const spec = this._spec;
    if (sd === null || typeof sd !== 'object' || !Array.isArray(sd.paramGroups) || sd.state === null || typeof sd.state !== 'object')
      throw new TorchTypeError(`${spec.name}.loadStateDict(): expected { state, paramGroups } as made by stateDict()`);
    if (sd.paramGroups.length !== this.paramGroups.length)
      throw new TorchValueError(
        `${spec.name}.loadStateDict(): loaded state dict has ${sd.paramGroups.length} parameter groups, the optimizer has ${this.paramGroups.length}`,
      );
    const resolved = sd.paramGroups.map((g, gi) => {
      if (!Array.isArray(g?.params) || g.params.length !== this.paramGroups[gi].params.length)
        throw new TorchValueError(
          `${spec.name}.loadStateDict(): loaded state dict contains a parameter group that doesn't match the size of optimizer's group (group ${gi})`,
        );
      const rest = { ...g } as Record<string, unknown>;
      delete rest.params;
      const o = { ...this.defaults, ...checkOptions(spec, rest, `loaded param group ${gi}`, true) };
      checkCombination(spec, o, `loaded param group ${gi}`);
      return { o, params: g.params };
    });
    // Entries of the saved state by the saved index, placed at this optimizer's parameter order.
    const states: (Record<string, number> | null)[] = [];
    resolved.forEach(({ params }) => {
      for (const saved of params) {
        const s = (sd.state as Record<string, ParamState | undefined>)[String(saved)];
        if (s === undefined || s === null) {
          states.push(null);
          continue;
        }
        const e: Record<string, number> = {};
        for (const [name, v] of Object.entries(s)) {
          if (v === undefined) continue;
          if (name === 'step') {
            const n = v instanceof Tensor ? Number(v.item()) : v;
            if (typeof n !== 'number') throw new TorchTypeError(`${spec.name}.loadStateDict(): state[${saved}].step must be a number`);
            e.step = n;
          } else e[name] = tid(v, `${spec.name}.loadStateDict(): state[${saved}].${name}`);
        }
        states.push(e);
      }
    });
    N.optimSetState(this._id, states);
    resolved.forEach(({ o }, gi) => {
      N.optimSetOptions(this._id, gi, encode(spec, o));
      const g = this.paramGroups[gi] as Record<string, unknown>;
      for (const k of SCHEDULER_KEYS) {
        if (o[k] !== undefined) g[k] = o[k];
        else delete g[k];
      }
    });
  }

  /** Frees the native optimizer and its state now. Using it afterwards throws a TorchError. */
  dispose(): void {
    if (this._id < 0) return;
    N.optimFree(this._id);
    registry.unregister(this);
    this._id = -1;
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
  get isDisposed(): boolean {
    return this._id < 0;
  }
}

interface NormalGroup {
  params: Tensor[];
  rest: Record<string, unknown>;
  isList: boolean;
}
function normalizeParams<O>(spec: Spec, params: Params<O>): NormalGroup[] {
  if (params === null || typeof params !== 'object' || typeof (params as Iterable<unknown>)[Symbol.iterator] !== 'function')
    throw new TorchTypeError(`${spec.name}: params must be an array of Tensors or of param groups ({ params, ...options })`);
  const items = Array.from(params as Iterable<unknown>);
  if (items.length === 0) return [];
  if (items.every((x) => x instanceof Tensor)) return [{ params: items, rest: {}, isList: true }];
  return items.map((g, gi) => {
    if (g instanceof Tensor || g === null || typeof g !== 'object' || !('params' in g))
      throw new TorchTypeError(`${spec.name}: params must be all Tensors or all param groups ({ params, ...options }); item ${gi} is neither`);
    const { params: ps, ...rest } = g;
    let list: unknown[];
    if (ps instanceof Tensor) list = [ps];
    else if (ps !== null && typeof ps === 'object' && typeof (ps as Iterable<unknown>)[Symbol.iterator] === 'function')
      list = Array.from(ps as Iterable<unknown>);
    else throw new TorchTypeError(`${spec.name}: param group ${gi}: params must be an array of Tensors`);
    list.forEach((p, k) => tid(p, `${spec.name}: param group ${gi} params[${k}]`));
    return { params: list as Tensor[], rest, isList: false };
  });
}

// ---- the optimizers -----------------------------------------------------------------------------------
/** Stochastic gradient descent (optionally with momentum, dampening, Nesterov, weight decay). */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: Params<SGDOptions>, options?: SGDOptions) {
    super(SGD_SPEC, params, options);
  }
}
/** Adam (Kingma & Ba), with L2 weight decay and optional AMSGrad. */
export class Adam extends Optimizer<AdamOptions> {
  constructor(params: Params<AdamOptions>, options?: AdamOptions) {
    super(ADAM_SPEC, params, options);
  }
}
/** AdamW: Adam with decoupled weight decay (default 0.01). */
export class AdamW extends Optimizer<AdamWOptions> {
  constructor(params: Params<AdamWOptions>, options?: AdamWOptions) {
    super(ADAMW_SPEC, params, options);
  }
}
/** RMSprop (optionally centered, with momentum). */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: Params<RMSpropOptions>, options?: RMSpropOptions) {
    super(RMSPROP_SPEC, params, options);
  }
}
