// nn.Module with Python PyTorch's semantics: registered parameters, buffers and child modules in
// insertion order, dotted names ('layer1.0.conv1.weight'), train()/eval(), to(), stateDict(),
// loadStateDict().
//
// Registration. `registerParameter('weight', t)`, `registerBuffer('running_mean', t)` and
// `registerModule('conv1', m)` store the value in the module's ordered slots AND define an
// accessor property of the same name on the instance, so `this.weight` reads the slot and
// `this.weight = t` re-registers (PyTorch's __setattr__). Subclasses declare the fields for the
// type checker with `declare weight: Tensor;` (a `declare` field emits no initialiser).
//
// Lifetime. Parameters and buffers are taken out of any tidy scope (torch.keep) when registered:
// they live until replaced (to(), re-registration) or until the module is garbage-collected.
// A module may therefore be built inside torch.tidy without losing its weights.
import { TorchError, TorchTypeError, TorchValueError } from '../torch/errors.js';
import { Tensor } from '../torch/tensor.js';
import { keep } from '../torch/memory.js';
import { noGrad } from '../torch/autograd.js';
import { isFloating, checkDevice, type DType, type Device } from '../torch/types.js';

export type StateDict = Record<string, Tensor>;

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

const DTYPES = new Set(['float32', 'float64', 'float16', 'bfloat16', 'int64', 'int32', 'uint8', 'bool']);
const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);
const fmtShape = (s: readonly number[]) => `[${s.join(', ')}]`;

function checkName(owner: Module, name: string, what: string): void {
  if (typeof name !== 'string') throw new TorchTypeError(`${what}: name must be a string, got ${typeof name}`);
  if (name === '') throw new TorchValueError(`${what}: name can't be empty`);
  if (name.includes('.')) throw new TorchValueError(`${what}: name can't contain '.', got '${name}'`);
  const registered = owner._parameters.has(name) || owner._buffers.has(name) || owner._modules.has(name);
  if (!registered && name in owner) throw new TorchValueError(`${what}: attribute '${name}' already exists on ${owner.constructor.name}`);
}

/** Moves a tensor out of the current tidy scope unless it is already owned elsewhere. */
function own(t: Tensor): Tensor {
  return keep(t);
}

export abstract class Module {
  /** @internal */ _parameters = new Map<string, Tensor | null>();
  /** @internal */ _buffers = new Map<string, Tensor | null>();
  /** @internal names of buffers left out of the state dict */ _nonPersistent = new Set<string>();
  /** @internal */ _modules = new Map<string, Module | null>();
  /** Training mode (dropout active, batch norm uses batch statistics). */
  training = true;

  /** What the module computes; subclasses implement it. */
  abstract forward(...args: any[]): any; // eslint-disable-line @typescript-eslint/no-explicit-any

  // ---- registration -----------------------------------------------------------------------------
  private defineSlot(name: string, kind: 'param' | 'buffer' | 'module'): void {
    const own = Object.getOwnPropertyDescriptor(this, name);
    if (own && own.get) return; // already an accessor (re-registration)
    const get =
      kind === 'param'
        ? function (this: Module) { return this._parameters.get(name) ?? null; }
        : kind === 'buffer'
          ? function (this: Module) { return this._buffers.get(name) ?? null; }
          : function (this: Module) { return this._modules.get(name) ?? null; };
    const set =
      kind === 'param'
        ? function (this: Module, v: Tensor | null) { this.registerParameter(name, v); }
        : kind === 'buffer'
          ? function (this: Module, v: Tensor | null) { this.registerBuffer(name, v, { persistent: !this._nonPersistent.has(name) }); }
          : function (this: Module, v: Module | null) { this.registerModule(name, v); };
    Object.defineProperty(this, name, { get, set, enumerable: true, configurable: true });
  }

  /**
   * Adds (or replaces) a parameter. The tensor is kept out of tidy scopes; a non-leaf tensor is
   * detached first; floating tensors get requiresGrad (unless requiresGrad: false). null registers
   * an absent parameter (e.g. bias=False), which stays out of parameters() and the state dict.
   */
  registerParameter<T extends Tensor | null>(name: string, t: T, opts?: { requiresGrad?: boolean }): T {
    if (t !== null && !(t instanceof Tensor)) throw new TorchTypeError(`registerParameter('${name}'): expected a Tensor or null`);
    if (this._buffers.has(name) || this._modules.has(name))
      throw new TorchValueError(`registerParameter('${name}'): '${name}' is already a ${this._buffers.has(name) ? 'buffer' : 'submodule'}`);
    checkName(this, name, `registerParameter('${name}')`);
    let p: Tensor | null = t;
    if (p !== null) {
      if (!p.isLeaf) p = p.detach();
      const rg = opts?.requiresGrad ?? true;
      if (rg && !isFloating(p.dtype)) throw new TorchTypeError(`registerParameter('${name}'): only floating tensors can require gradients, got ${p.dtype}`);
      if (p.requiresGrad !== rg) p.requiresGrad_(rg);
      own(p);
    }
    this._parameters.set(name, p);
    this.defineSlot(name, 'param');
    return p as T;
  }

  /** Adds (or replaces) a buffer: state that is not trained (running statistics, counters). */
  registerBuffer<T extends Tensor | null>(name: string, t: T, opts?: { persistent?: boolean }): T {
    if (t !== null && !(t instanceof Tensor)) throw new TorchTypeError(`registerBuffer('${name}'): expected a Tensor or null`);
    if (this._parameters.has(name) || this._modules.has(name))
      throw new TorchValueError(`registerBuffer('${name}'): '${name}' is already a ${this._parameters.has(name) ? 'parameter' : 'submodule'}`);
    checkName(this, name, `registerBuffer('${name}')`);
    if (t !== null) own(t);
    this._buffers.set(name, t);
    if (opts?.persistent === false) this._nonPersistent.add(name);
    else this._nonPersistent.delete(name);
    this.defineSlot(name, 'buffer');
    return t;
  }

  /** Adds (or replaces) a child module; its parameters appear as `name.…`. */
  registerModule<M extends Module | null>(name: string, m: M): M {
    if (m !== null && !(m instanceof Module)) throw new TorchTypeError(`registerModule('${name}'): expected a Module or null`);
    if (this._parameters.has(name) || this._buffers.has(name))
      throw new TorchValueError(`registerModule('${name}'): '${name}' is already a ${this._parameters.has(name) ? 'parameter' : 'buffer'}`);
    checkName(this, name, `registerModule('${name}')`);
    this._modules.set(name, m);
    this.defineSlot(name, 'module');
    return m;
  }
  /** PyTorch's alias of registerModule. */
  addModule<M extends Module | null>(name: string, m: M): M {
    return this.registerModule(name, m);
  }

  /** The submodule at a dotted path ('layer1.0.conv1'); '' is this module. */
  getSubmodule(target: string): Module {
    if (target === '') return this;
    let m: Module = this;
    for (const part of target.split('.')) {
      const c = m._modules.get(part);
      if (!c) throw new TorchValueError(`getSubmodule('${target}'): ${m.constructor.name} has no submodule '${part}'`);
      m = c;
    }
    return m;
  }

  // ---- traversal --------------------------------------------------------------------------------
  /** [name, module] for this module and every descendant, depth first (this one first, as ''). */
  *namedModules(prefix = '', memo = new Set<Module>()): Generator<[string, Module]> {
    if (memo.has(this)) return;
    memo.add(this);
    yield [prefix, this];
    for (const [name, m] of this._modules) {
      if (m === null) continue;
      yield* m.namedModules(prefix === '' ? name : `${prefix}.${name}`, memo);
    }
  }
  modules(): Module[] {
    return [...this.namedModules()].map(([, m]) => m);
  }
  *namedChildren(): Generator<[string, Module]> {
    const seen = new Set<Module>();
    for (const [name, m] of this._modules) {
      if (m === null || seen.has(m)) continue;
      seen.add(m);
      yield [name, m];
    }
  }
  children(): Module[] {
    return [...this.namedChildren()].map(([, m]) => m);
  }
  /** [dotted name, parameter] in registration order; a shared parameter appears once. */
  namedParameters(opts?: { prefix?: string; recurse?: boolean }): [string, Tensor][] {
    return this.namedMembers((m) => m._parameters, opts);
  }
  parameters(opts?: { recurse?: boolean }): Tensor[] {
    return this.namedParameters(opts).map(([, p]) => p);
  }
  namedBuffers(opts?: { prefix?: string; recurse?: boolean }): [string, Tensor][] {
    return this.namedMembers((m) => m._buffers, opts);
  }
  buffers(opts?: { recurse?: boolean }): Tensor[] {
    return this.namedBuffers(opts).map(([, b]) => b);
  }
  private namedMembers(get: (m: Module) => Map<string, Tensor | null>, opts?: { prefix?: string; recurse?: boolean }): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    const prefix = opts?.prefix ?? '';
    const mods: [string, Module][] = opts?.recurse === false ? [[prefix, this]] : [...this.namedModules(prefix)];
    for (const [mp, m] of mods)
      for (const [name, t] of get(m)) {
        if (t === null || seen.has(t)) continue;
        seen.add(t);
        out.push([mp === '' ? name : `${mp}.${name}`, t]);
      }
    return out;
  }

  /** Number of parameter elements (only those with requiresGrad when trainableOnly). */
  numParameters(opts?: { trainableOnly?: boolean }): number {
    let n = 0;
    for (const p of this.parameters()) if (!opts?.trainableOnly || p.requiresGrad) n += p.numel();
    return n;
  }

  /** fn on every submodule (children first), then on this module, as PyTorch's apply. */
  apply(fn: (m: Module) => void): this {
    for (const m of this.children()) m.apply(fn);
    fn(this);
    return this;
  }

  // ---- modes ------------------------------------------------------------------------------------
  train(mode = true): this {
    if (typeof mode !== 'boolean') throw new TorchTypeError('train(mode): mode must be a boolean');
    this.training = mode;
    for (const m of this.children()) m.train(mode);
    return this;
  }
  eval(): this {
    return this.train(false);
  }
  /** Sets requiresGrad on every parameter (freezing with false). */
  requiresGrad_(requiresGrad = true): this {
    for (const p of this.parameters()) p.requiresGrad_(requiresGrad);
    return this;
  }

  /** Clears gradients: set to null (default, as PyTorch 2.x) or zeroed in place. */
  zeroGrad(opts?: { setToNone?: boolean }): void {
    const toNone = opts?.setToNone ?? true;
    for (const p of this.parameters()) {
      if (toNone) {
        p.grad = null;
        continue;
      }
      const g = p.grad;
      if (g === null) continue;
      g.detach_().zero_();
      g.dispose();
    }
  }

  // ---- conversion -------------------------------------------------------------------------------
  /**
   * Moves (device) and/or casts (floating dtype) every parameter and buffer, replacing the
   * registered slots; parameters keep their requiresGrad. As in PyTorch, a dtype applies only to
   * floating tensors (num_batches_tracked stays int64). Replaced handles are disposed, so build
   * the optimizer after moving the model (as PyTorch recommends).
   */
  to(target: Device | DType | { device?: Device; dtype?: DType }): this {
    let device: Device | undefined, dtype: DType | undefined;
    if (typeof target === 'string') {
      if (DTYPES.has(target)) dtype = target as DType;
      else device = checkDevice(target, 'Module.to()');
    } else if (target && typeof target === 'object') ({ device, dtype } = target);
    else throw new TorchTypeError('Module.to(): expected a device, a dtype or { device, dtype }');
    if (device !== undefined) checkDevice(device, 'Module.to()');
    if (dtype !== undefined && !isFloating(dtype)) throw new TorchTypeError(`Module.to(): dtype must be floating, got ${dtype}`);
    const convert = (t: Tensor): Tensor | null => {
      const wantDtype = dtype !== undefined && isFloating(t.dtype) && t.dtype !== dtype ? dtype : undefined;
      const wantDevice = device !== undefined && !sameDevice(t.device, device) ? device : undefined;
      if (wantDtype === undefined && wantDevice === undefined) return null;
      return noGrad(() => t.to({ dtype: wantDtype, device: wantDevice }));
    };
    for (const m of this.modules()) {
      for (const [name, p] of m._parameters) {
        if (p === null) continue;
        const q = convert(p);
        if (q === null) continue;
        const rg = p.requiresGrad;
        const g = p.grad;
        if (rg) q.requiresGrad_(true);
        if (g !== null) {
          q.grad = noGrad(() => g.to({ dtype: q.dtype, device: q.device }));
          g.dispose();
        }
        keep(q);
        m._parameters.set(name, q);
        p.dispose();
      }
      for (const [name, b] of m._buffers) {
        if (b === null) continue;
        const q = convert(b);
        if (q === null) continue;
        keep(q);
        m._buffers.set(name, q);
        b.dispose();
      }
    }
    return this;
  }
  cpu(): this {
    return this.to('cpu');
  }
  cuda(index?: number): this {
    return this.to(index === undefined ? 'cuda' : `cuda:${index}`);
  }
  double(): this {
    return this.to('float64');
  }
  float(): this {
    return this.to('float32');
  }

  // ---- state dict -------------------------------------------------------------------------------
  /**
   * name → tensor for every parameter (detached) and persistent buffer, in PyTorch's order (per
   * module, depth first: its parameters, then its buffers). The tensors share storage with the
   * module (new handles, owned by the current tidy scope); clone them to snapshot.
   */
  stateDict(opts?: { prefix?: string; keepVars?: boolean }): StateDict {
    const out: StateDict = {};
    for (const [mp, m] of this.namedModules(opts?.prefix ?? '')) {
      const key = (n: string) => (mp === '' ? n : `${mp}.${n}`);
      for (const [n, p] of m._parameters) if (p !== null) out[key(n)] = opts?.keepVars ? p : p.detach();
      for (const [n, b] of m._buffers) if (b !== null && !m._nonPersistent.has(n)) out[key(n)] = opts?.keepVars ? b : b.detach();
    }
    return out;
  }

  /**
   * Copies values from sd into the registered parameters and buffers (in place, under noGrad,
   * converting dtype and device). A shape mismatch always throws; with strict (default) missing
   * or unexpected keys throw too. The error lists every offending key by name.
   */
  loadStateDict(sd: StateDict | Map<string, Tensor>, opts?: { strict?: boolean }): LoadStateDictResult {
    const strict = opts?.strict ?? true;
    if (sd === null || typeof sd !== 'object') throw new TorchTypeError('loadStateDict(sd): expected a record or Map of tensors');
    const entries: Map<string, Tensor> = sd instanceof Map ? sd : new Map(Object.entries(sd));
    const targets = new Map<string, Tensor>();
    for (const [mp, m] of this.namedModules()) {
      const key = (n: string) => (mp === '' ? n : `${mp}.${n}`);
      for (const [n, p] of m._parameters) if (p !== null) targets.set(key(n), p);
      for (const [n, b] of m._buffers) if (b !== null && !m._nonPersistent.has(n)) targets.set(key(n), b);
    }
    const missingKeys: string[] = [];
    const unexpectedKeys: string[] = [];
    const mismatches: string[] = [];
    for (const [k, t] of targets) {
      const src = entries.get(k);
      if (src === undefined) {
        missingKeys.push(k);
        continue;
      }
      if (!(src instanceof Tensor)) {
        mismatches.push(`${k}: expected a Tensor, got ${typeof src}`);
        continue;
      }
      if (!sameShape(src.shape, t.shape))
        mismatches.push(`${k}: shape ${fmtShape(src.shape)} in the state dict, ${fmtShape(t.shape)} in the model`);
    }
    for (const k of entries.keys()) if (!targets.has(k)) unexpectedKeys.push(k);
    const problems: string[] = [];
    if (mismatches.length) problems.push(`size mismatch for ${mismatches.length} key(s):\n  ${mismatches.join('\n  ')}`);
    if (strict && missingKeys.length) problems.push(`missing key(s) (${missingKeys.length}): ${missingKeys.join(', ')}`);
    if (strict && unexpectedKeys.length) problems.push(`unexpected key(s) (${unexpectedKeys.length}): ${unexpectedKeys.join(', ')}`);
    if (problems.length) throw new TorchError(`Error(s) in loading state dict for ${this.constructor.name}:\n${problems.join('\n')}`);
    noGrad(() => {
      for (const [k, t] of targets) {
        const src = entries.get(k);
        if (src !== undefined) t.copy_(src);
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  // ---- copying ----------------------------------------------------------------------------------
  /**
   * A deep copy (PyTorch's copy.deepcopy(module)): the same class and plain fields, every
   * parameter and buffer cloned (requiresGrad kept), child modules copied recursively (shared
   * children and tensors stay shared in the copy). Fields holding other objects are shared.
   */
  deepCopy(): this {
    return deepCopyModule(this, new Map(), new Map()) as this;
  }

  // ---- printing ---------------------------------------------------------------------------------
  /** The one-line description of this module's options (PyTorch's extra_repr). */
  extraRepr(): string {
    return '';
  }
  toString(): string {
    const lines: string[] = [];
    const extra = this.extraRepr();
    if (extra) lines.push(...extra.split('\n'));
    for (const [n, m] of this._modules) if (m !== null) lines.push(...`(${n}): ${m.toString()}`.split('\n'));
    const name = this.constructor.name;
    if (lines.length === 0) return `${name}()`;
    if (lines.length === 1 && extra) return `${name}(${extra})`;
    return `${name}(\n  ${lines.join('\n  ')}\n)`;
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

function sameDevice(a: string, b: string): boolean {
  if (a === b) return true;
  // 'cuda' means the current device; treat 'cuda' and 'cuda:0' as the same
  const norm = (d: string) => (d === 'cuda' ? 'cuda:0' : d);
  return norm(a) === norm(b);
}

function deepCopyModule(m: Module, mods: Map<Module, Module>, tensors: Map<Tensor, Tensor>): Module {
  const done = mods.get(m);
  if (done) return done;
  const copy = Object.create(Object.getPrototypeOf(m)) as Module;
  mods.set(m, copy);
  const copyTensor = (t: Tensor | null, param: boolean): Tensor | null => {
    if (t === null) return null;
    let c = tensors.get(t);
    if (!c) {
      c = keep(noGrad(() => t.clone()));
      if (param && t.requiresGrad) c.requiresGrad_(true);
      tensors.set(t, c);
    }
    return c;
  };
  for (const key of Reflect.ownKeys(m)) {
    const d = Object.getOwnPropertyDescriptor(m, key)!;
    if (key === '_parameters') d.value = new Map([...m._parameters].map(([k, v]) => [k, copyTensor(v, true)]));
    else if (key === '_buffers') d.value = new Map([...m._buffers].map(([k, v]) => [k, copyTensor(v, false)]));
    else if (key === '_nonPersistent') d.value = new Set(m._nonPersistent);
    else if (key === '_modules') d.value = new Map([...m._modules].map(([k, v]) => [k, v === null ? null : deepCopyModule(v, mods, tensors)]));
    else if ('value' in d && Array.isArray(d.value)) d.value = [...d.value];
    Object.defineProperty(copy, key, d);
  }
  return copy;
}
