// nn.Module with Python PyTorch's semantics: registered parameters, buffers and child modules in
// insertion order, dotted names ('layer1.0.conv1.weight'), train()/eval(), to(), stateDict(),
// loadStateDict().
//
// Registration by assignment (PyTorch's __setattr__). Every module is a Proxy (returned by this
// base constructor) with set/defineProperty/deleteProperty traps only, so both
//   class Net extends nn.Module { fc = new nn.Linear(4, 2); }                       // class field
//   class Net extends nn.Module { declare fc: nn.Linear; constructor() { super(); this.fc = new nn.Linear(4, 2); } }
// register `fc` as a child module, in assignment order. The rule, as PyTorch's:
//   - a Module assigned to a new name registers a child; nn.Parameter(t) (or a tensor that is
//     already some module's parameter) registers a parameter; anything else (plain tensors
//     included) stays a plain attribute;
//   - a registered name keeps its slot and position: a parameter takes a parameter or null, a
//     buffer a tensor or null, a child a Module or null (null keeps the slot as None); any other
//     value is a TorchTypeError, and so is changing a slot's kind (delete it first);
//   - `delete this.fc` unregisters.
// `registerModule(name, m)` / `registerParameter` / `registerBuffer` stay for names chosen at run
// time and for buffers. Registered values are also plain data properties of the wrapped object, so
// a read (`this.fc`, `this.weight`) is one trap-less proxy hop (docs/BENCHMARKS.md, "Modules by
// assignment: cost per step").
//
// Lifetime. Parameters and buffers are taken out of any tidy scope (torch.keep) when registered:
// they live until replaced (to(), re-registration) or until the module is garbage-collected.
// A module may therefore be built inside torch.tidy without losing its weights. Each forward runs in
// a scope of its own that frees its intermediates when it returns (call-scope.ts).
import { TorchError, TorchTypeError, TorchValueError } from '../torch/errors.js';
import { Tensor } from '../torch/tensor.js';
import { keep } from '../torch/memory.js';
import { noGrad } from '../torch/autograd.js';
import { isFloating, checkDevice, type DType, type Device } from '../torch/types.js';
import { callInScope, markModule, moduleScopesEnabled } from './call-scope.js';
import { memoryFormatCode, type MemoryFormat } from '../torch/memory-format.js';

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

/** The plain object behind a module's proxy (registration writes its data properties directly). */
const RAW = Symbol('torchmix.module.raw');
/** The proxy of a plain module object (the receiver assignments are expected through). */
const PROXY = Symbol('torchmix.module.proxy');
/** Tensors made by nn.Parameter or registered as a parameter: assigning one registers a parameter. */
const parameterTensors = new WeakSet<Tensor>();

type SlotKind = 'parameter' | 'buffer' | 'child module';
const rawOf = (m: Module): Module => (m as unknown as Record<symbol, Module>)[RAW] ?? m;
const slotOf = (m: Module, name: string): SlotKind | undefined =>
  m._parameters.has(name) ? 'parameter' : m._buffers.has(name) ? 'buffer' : m._modules.has(name) ? 'child module' : undefined;

function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (v instanceof Tensor) return parameterTensors.has(v) ? 'a parameter' : `a plain Tensor (${v.dtype})`;
  if (v instanceof Module) return `a Module (${v.constructor.name})`;
  if (typeof v === 'object') return `an object (${v.constructor?.name ?? 'Object'})`;
  return `a ${typeof v}`;
}

/**
 * Marks a tensor as a parameter (PyTorch's nn.Parameter): `this.w = nn.Parameter(torch.randn([3]))`
 * in a module registers `w`. Returns a new leaf handle sharing data's storage, with requiresGrad
 * (default true; only floating tensors can require gradients). A plain tensor assigned to a new
 * name stays a plain attribute, as in PyTorch.
 */
export function Parameter(data: Tensor, requiresGrad = true): Tensor {
  if (!(data instanceof Tensor)) throw new TorchTypeError(`nn.Parameter(data): expected a Tensor, got ${describe(data)}`);
  if (typeof requiresGrad !== 'boolean')
    throw new TorchTypeError(`nn.Parameter(data, requiresGrad): requiresGrad must be a boolean, got ${describe(requiresGrad)}`);
  if (requiresGrad && !isFloating(data.dtype))
    throw new TorchTypeError(
      `nn.Parameter(data): only floating tensors can require gradients, got ${data.dtype} (JS integers infer int64: pass { dtype: 'float32' } to torch.tensor, or write .float())`,
    );
  const p = data.detach();
  if (requiresGrad) p.requiresGrad_(true);
  parameterTensors.add(p);
  return p;
}
/**
 * @internal Marks a freshly made tensor as a parameter in place (the built-in layers): no second
 * handle, so a layer's construction leaves no garbage tensor for the GC fallback to free later.
 */
export function asParameter(t: Tensor): Tensor {
  t.requiresGrad_(true);
  parameterTensors.add(t);
  return t;
}
/** A tensor's type when it is a parameter: the same Tensor class (nn.Parameter only marks it). */
export type Parameter = Tensor;

/** True for tensors made by nn.Parameter and for tensors registered as some module's parameter. */
export function isParameter(t: unknown): boolean {
  return t instanceof Tensor && parameterTensors.has(t);
}

/** Assignment `m[name] = value` for a registered name or a Module/parameter value (PyTorch's __setattr__). */
function assign(raw: Module, name: string, value: unknown): void {
  const slot = slotOf(raw, name);
  const where = () => `${raw.constructor.name}.${name}`;
  if (slot === undefined) {
    // a plain own attribute of that name (e.g. a field declared without initialiser) gives way, as PyTorch's __dict__ entry does
    if (Object.prototype.hasOwnProperty.call(raw, name)) delete (raw as unknown as Record<string, unknown>)[name];
    if (value instanceof Module) raw.registerModule(name, value);
    else raw.registerParameter(name, value as Tensor, { requiresGrad: (value as Tensor).requiresGrad });
    return;
  }
  const kindOf = isParameter(value) ? 'parameter' : value instanceof Module ? 'child module' : undefined;
  if (kindOf !== undefined && kindOf !== slot)
    throw new TorchTypeError(
      `cannot assign ${describe(value)} to ${where()}: '${name}' is a ${slot} (delete it first to register a ${kindOf} under that name)`,
    );
  if (value === undefined)
    // what a subclass field without initialiser does to an inherited slot under [[Define]] semantics
    throw new TorchTypeError(`cannot assign undefined to ${slot} ${where()} (re-declaring an inherited field for its type? write \`declare ${name}: …\`)`);
  if (slot === 'parameter') {
    if (value !== null && !isParameter(value))
      throw new TorchTypeError(`cannot assign ${describe(value)} as parameter ${where()} (nn.Parameter(t) or null expected)`);
    raw.registerParameter(name, value as Tensor | null, { requiresGrad: value === null ? undefined : (value as Tensor).requiresGrad });
  } else if (slot === 'buffer') {
    if (value !== null && !(value instanceof Tensor))
      throw new TorchTypeError(`cannot assign ${describe(value)} as buffer ${where()} (a Tensor or null expected)`);
    raw.registerBuffer(name, value, { persistent: !raw._nonPersistent.has(name) });
  } else {
    if (value !== null && !(value instanceof Module))
      throw new TorchTypeError(`cannot assign ${describe(value)} as child module ${where()} (a Module or null expected)`);
    raw.registerModule(name, value);
  }
}

const registers = (raw: Module, key: string | symbol, value: unknown): key is string =>
  typeof key === 'string' && (value instanceof Module || isParameter(value) || slotOf(raw, key) !== undefined);

// Only writes are trapped: reads go straight to the wrapped object (no get trap on the hot path).
const handler: ProxyHandler<Module> = {
  set(raw, key, value, receiver) {
    if (receiver === (raw as unknown as Record<symbol, unknown>)[PROXY] && registers(raw, key, value)) {
      assign(raw, key, value);
      return true;
    }
    return Reflect.set(raw, key, value, receiver);
  },
  // class fields ([[DefineOwnProperty]]) and Object.defineProperty
  defineProperty(raw, key, desc) {
    if ('value' in desc && registers(raw, key, desc.value)) {
      assign(raw, key, desc.value);
      return true;
    }
    if (typeof key === 'string' && slotOf(raw, key) !== undefined)
      throw new TorchTypeError(`cannot define an accessor for ${raw.constructor.name}.${key}: it is a registered ${slotOf(raw, key)}`);
    return Reflect.defineProperty(raw, key, desc);
  },
  deleteProperty(raw, key) {
    if (typeof key === 'string' && slotOf(raw, key) !== undefined) {
      raw._parameters.delete(key);
      raw._buffers.delete(key);
      raw._nonPersistent.delete(key);
      raw._modules.delete(key);
    }
    return Reflect.deleteProperty(raw, key);
  },
};

/** Wraps a plain module object in its proxy (the base constructor and deepCopy). */
function wrapModule<M extends Module>(raw: M): M {
  const proxy = new Proxy(raw, handler) as M;
  Object.defineProperty(raw, RAW, { value: raw });
  Object.defineProperty(raw, PROXY, { value: proxy });
  markModule(proxy);
  return proxy;
}

// A module call runs in a scope of its own (call-scope.ts): each class's own forward (and the
// Trunked API's forwardFeatures / forwardHead) is replaced on its prototype, once, by a wrapper, at
// the first construction; `super.forward()` then nests a scope too.
const SCOPED_METHODS = ['forward', 'forwardFeatures', 'forwardHead'] as const;
const scopedPrototypes = new WeakSet<object>();

function scopeForwards(proto: object): void {
  for (let p = proto; p !== null && p !== Module.prototype; p = Object.getPrototypeOf(p)) {
    if (scopedPrototypes.has(p)) return; // and so are its ancestors
    scopedPrototypes.add(p);
    for (const name of SCOPED_METHODS) {
      const d = Object.getOwnPropertyDescriptor(p, name);
      if (d && typeof d.value === 'function') Object.defineProperty(p, name, { ...d, value: scoped(d.value as (...a: unknown[]) => unknown) });
    }
  }
}

function scoped(fn: (...a: unknown[]) => unknown): (...a: unknown[]) => unknown {
  const w = function (this: Module, ...args: unknown[]): unknown {
    if (!moduleScopesEnabled()) return fn.apply(this, args);
    return callInScope(this, this == null ? null : rawOf(this), fn, args);
  };
  Object.defineProperty(w, 'name', { value: fn.name });
  return w;
}

/** Stores a registered value in its map and as a data property of the plain object (what reads see). */
function store<V>(m: Module, map: Map<string, V>, name: string, value: V): void {
  map.set(name, value);
  Reflect.defineProperty(rawOf(m), name, { value, writable: true, enumerable: true, configurable: true });
}

export abstract class Module {
  /** @internal */ _parameters = new Map<string, Tensor | null>();
  /** @internal */ _buffers = new Map<string, Tensor | null>();
  /** @internal names of buffers left out of the state dict */ _nonPersistent = new Set<string>();
  /** @internal */ _modules = new Map<string, Module | null>();
  /** Training mode (dropout active, batch norm uses batch statistics). */
  training = true;

  constructor() {
    // The field initialisers above ran on the plain object; subclasses' constructors and fields,
    // and every later use, see the proxy.
    scopeForwards(new.target.prototype);
    return wrapModule(this);
  }

  /** What the module computes; subclasses implement it. */
  abstract forward(...args: any[]): any; // eslint-disable-line @typescript-eslint/no-explicit-any

  // ---- registration -----------------------------------------------------------------------------
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
    if (p !== null) parameterTensors.add(p);
    store(this, this._parameters, name, p);
    return p as T;
  }

  /** Adds (or replaces) a buffer: state that is not trained (running statistics, counters). */
  registerBuffer<T extends Tensor | null>(name: string, t: T, opts?: { persistent?: boolean }): T {
    if (t !== null && !(t instanceof Tensor)) throw new TorchTypeError(`registerBuffer('${name}'): expected a Tensor or null`);
    if (this._parameters.has(name) || this._modules.has(name))
      throw new TorchValueError(`registerBuffer('${name}'): '${name}' is already a ${this._parameters.has(name) ? 'parameter' : 'submodule'}`);
    checkName(this, name, `registerBuffer('${name}')`);
    if (t !== null) own(t);
    if (opts?.persistent === false) this._nonPersistent.add(name);
    else this._nonPersistent.delete(name);
    store(this, this._buffers, name, t);
    return t;
  }

  /** Adds (or replaces) a child module; its parameters appear as `name.…`. */
  registerModule<M extends Module | null>(name: string, m: M): M {
    if (m !== null && !(m instanceof Module)) throw new TorchTypeError(`registerModule('${name}'): expected a Module or null`);
    if (this._parameters.has(name) || this._buffers.has(name))
      throw new TorchValueError(`registerModule('${name}'): '${name}' is already a ${this._parameters.has(name) ? 'parameter' : 'buffer'}`);
    checkName(this, name, `registerModule('${name}')`);
    store(this, this._modules, name, m);
    return m;
  }
  /** PyTorch's alias of registerModule. */
  addModule<M extends Module | null>(name: string, m: M): M {
    return this.registerModule(name, m);
  }

  /** The submodule at a dotted path ('layer1.0.conv1'); '' is this module. */
  getSubmodule(target: string): Module {
    if (target === '') return this;
    return target.split('.').reduce<Module>((m, part) => {
      const c = m._modules.get(part);
      if (!c) throw new TorchValueError(`getSubmodule('${target}'): ${m.constructor.name} has no submodule '${part}'`);
      return c;
    }, this);
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
   * Moves (a device string) and/or casts (a floating dtype string, or { device, dtype }) every parameter and buffer, replacing the
   * registered slots; parameters keep their requiresGrad. As in PyTorch, a dtype applies only to
   * floating tensors (num_batches_tracked stays int64). A memoryFormat ('channelsLast') applies,
   * as in PyTorch, to the 4-D tensors ('channelsLast3d': 5-D; 'contiguousFormat': both back to
   * row-major), gradients included. Replaced handles are disposed, so build the optimizer after
   * moving the model (as PyTorch recommends).
   */
  to(target: Device | { device?: Device; dtype?: DType; memoryFormat?: MemoryFormat }): this {
    let device: Device | undefined, dtype: DType | undefined, memoryFormat: MemoryFormat | undefined;
    if (typeof target === 'string') {
      if (DTYPES.has(target)) dtype = target as DType;
      else device = checkDevice(target, 'Module.to()');
    } else if (target && typeof target === 'object') ({ device, dtype, memoryFormat } = target);
    else throw new TorchTypeError('Module.to(): expected a device, a dtype or { device, dtype, memoryFormat }');
    if (device !== undefined) checkDevice(device, 'Module.to()');
    if (dtype !== undefined && !isFloating(dtype)) throw new TorchTypeError(`Module.to(): dtype must be floating, got ${dtype}`);
    if (memoryFormat !== undefined) memoryFormatCode(memoryFormat, 'Module.to()');
    // Which ranks the format applies to (PyTorch's Module.to converts 4-D and 5-D tensors only).
    const fmtFor = (t: Tensor): MemoryFormat | undefined => {
      const n = t.ndim;
      if (memoryFormat === 'channelsLast') return n === 4 ? memoryFormat : undefined;
      if (memoryFormat === 'channelsLast3d') return n === 5 ? memoryFormat : undefined;
      return memoryFormat === 'contiguousFormat' && (n === 4 || n === 5) ? memoryFormat : undefined;
    };
    const convert = (t: Tensor): Tensor | null => {
      const wantDtype = dtype !== undefined && isFloating(t.dtype) && t.dtype !== dtype ? dtype : undefined;
      const wantDevice = device !== undefined && !sameDevice(t.device, device) ? device : undefined;
      // A tensor already in the format comes back as itself (a new handle), as in PyTorch.
      const wantFormat = fmtFor(t);
      if (wantDtype === undefined && wantDevice === undefined && wantFormat === undefined) return null;
      return noGrad(() => t.to({ dtype: wantDtype, device: wantDevice, memoryFormat: wantFormat }));
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
          q.grad = noGrad(() => g.to({ dtype: q.dtype, device: q.device, memoryFormat: fmtFor(g) }));
          g.dispose();
        }
        keep(q);
        parameterTensors.add(q);
        store(m, m._parameters, name, q);
        p.dispose();
      }
      for (const [name, b] of m._buffers) {
        if (b === null) continue;
        const q = convert(b);
        if (q === null) continue;
        keep(q);
        store(m, m._buffers, name, q);
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
      if (!sameShape(src.shape, t.shape)) mismatches.push(`${k}: shape ${fmtShape(src.shape)} in the state dict, ${fmtShape(t.shape)} in the model`);
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
  const src = rawOf(m);
  const raw = Object.create(Object.getPrototypeOf(src)) as Module;
  const copy = wrapModule(raw);
  mods.set(m, copy);
  const copyTensor = (t: Tensor | null, param: boolean): Tensor | null => {
    if (t === null) return null;
    let c = tensors.get(t);
    if (!c) {
      c = keep(noGrad(() => t.clone()));
      if (param) {
        if (t.requiresGrad) c.requiresGrad_(true);
        parameterTensors.add(c);
      }
      tensors.set(t, c);
    }
    return c;
  };
  const slots: Record<string, unknown> = {
    _parameters: new Map([...src._parameters].map(([k, v]) => [k, copyTensor(v, true)])),
    _buffers: new Map([...src._buffers].map(([k, v]) => [k, copyTensor(v, false)])),
    _nonPersistent: new Set(src._nonPersistent),
    _modules: new Map([...src._modules].map(([k, v]) => [k, v === null ? null : deepCopyModule(v, mods, tensors)])),
  };
  const registered = (key: string | symbol): unknown => {
    if (typeof key !== 'string' || slotOf(src, key) === undefined) return undefined;
    for (const map of [slots._parameters, slots._buffers, slots._modules] as Map<string, unknown>[]) if (map.has(key)) return map.get(key);
  };
  for (const key of Reflect.ownKeys(src)) {
    if (key === RAW || key === PROXY) continue;
    const d = Object.getOwnPropertyDescriptor(src, key)!;
    if (typeof key === 'string' && key in slots) d.value = slots[key];
    else if (typeof key === 'string' && slotOf(src, key) !== undefined) d.value = registered(key);
    else if ('value' in d && Array.isArray(d.value)) d.value = [...d.value];
    Object.defineProperty(raw, key, d);
  }
  return copy;
}
