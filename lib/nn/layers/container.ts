// Sequential and ModuleList: children named '0', '1', … as in PyTorch.
import { TorchTypeError, TorchIndexError } from '../../torch/errors.js';
import type { Tensor } from '../../torch/tensor.js';
import { Module } from '../module.js';

function isModuleRecord(x: unknown): x is Record<string, Module> {
  return x !== null && typeof x === 'object' && !(x instanceof Module) && Object.getPrototypeOf(x) === Object.prototype;
}

/**
 * Runs its children in order. `new Sequential(a, b, c)` names them '0', '1', '2';
 * `new Sequential({ conv: a, act: b })` keeps the given names (PyTorch's OrderedDict form).
 */
export class Sequential extends Module {
  constructor(...modules: Module[] | [Record<string, Module>]) {
    super();
    if (modules.length === 1 && isModuleRecord(modules[0])) {
      for (const [name, m] of Object.entries(modules[0])) this.registerModule(name, m);
    } else
      (modules as Module[]).forEach((m, i) => {
        if (!(m instanceof Module)) throw new TorchTypeError(`Sequential: argument ${i} is not a Module`);
        this.registerModule(String(i), m);
      });
  }
  get length(): number {
    return this._modules.size;
  }
  /** The i-th child (negative counts from the end). */
  at(i: number): Module {
    const list = [...this._modules.values()];
    const k = i < 0 ? i + list.length : i;
    if (!Number.isInteger(k) || k < 0 || k >= list.length) throw new TorchIndexError(`Sequential.at(${i}): index out of range (length ${list.length})`);
    return list[k] as Module;
  }
  /** Appends a module named by its position. */
  append(m: Module): this {
    this.registerModule(String(this._modules.size), m);
    return this;
  }
  [Symbol.iterator](): Iterator<Module> {
    return [...this._modules.values()].filter((m): m is Module => m !== null)[Symbol.iterator]();
  }
  forward(x: Tensor): Tensor {
    for (const m of this._modules.values()) if (m !== null) x = m.forward(x);
    return x;
  }
}

/** Holds modules in a list (registered as '0', '1', …); it has no forward of its own. */
export class ModuleList extends Module {
  constructor(modules: Iterable<Module> = []) {
    super();
    for (const m of modules) this.append(m);
  }
  get length(): number {
    return this._modules.size;
  }
  at(i: number): Module {
    const list = [...this._modules.values()];
    const k = i < 0 ? i + list.length : i;
    if (!Number.isInteger(k) || k < 0 || k >= list.length) throw new TorchIndexError(`ModuleList.at(${i}): index out of range (length ${list.length})`);
    return list[k] as Module;
  }
  append(m: Module): this {
    if (!(m instanceof Module)) throw new TorchTypeError('ModuleList.append: expected a Module');
    this.registerModule(String(this._modules.size), m);
    return this;
  }
  extend(ms: Iterable<Module>): this {
    for (const m of ms) this.append(m);
    return this;
  }
  [Symbol.iterator](): Iterator<Module> {
    return [...this._modules.values()].filter((m): m is Module => m !== null)[Symbol.iterator]();
  }
  forward(): never {
    throw new TorchTypeError('ModuleList has no forward(); iterate over it and call each module');
  }
}
