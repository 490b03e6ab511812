// A scope per module call (lib/nn/call-scope.ts): a forward's intermediates are freed when it
// returns (only its outputs stay; autograd keeps what backward needs), nested modules nest scopes,
// tuples / objects / Maps are outputs, opaque results and throws keep everything, tensors stored on
// the module during forward live to the nearest tidy, the GC fallback owns a top-level call's
// outputs, and training is bit-identical with the scopes on and off (ERM, manifold mixup, AdaMixup),
// with gradients checked against finite differences. TORCHMIX_MODULE_SCOPES=off in a child process.
import { describe, it, expect, afterEach } from 'vitest';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { torch, nn, mixup } from '../../lib/index.js';
import { _setModuleScopes, moduleScopesEnabled } from '../../lib/nn/call-scope.js';

type Tensor = torch.Tensor;
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const live = () => torch.memory().liveTensors;
const f64 = { dtype: 'float64' as const };
afterEach(() => _setModuleScopes(true));

/** depth × (Linear, Tanh): 2·depth intermediates, one output. */
function deep(depth: number, width = 6): nn.Sequential {
  const layers: nn.Module[] = [];
  for (let i = 0; i < depth; i++) layers.push(new nn.Linear(width, width, f64), new nn.Tanh());
  return new nn.Sequential(...layers);
}

/** Calls the block `times` times, recording the live tensor count as each call starts. */
class Repeat extends nn.Module {
  declare block: nn.Module;
  seen: number[] = [];
  constructor(
    block: nn.Module,
    readonly times: number,
  ) {
    super();
    this.block = block;
  }
  forward(x: Tensor): Tensor {
    let h = x;
    for (let i = 0; i < this.times; i++) {
      this.seen.push(live());
      h = this.block.forward(h).mul(0.5);
    }
    return h;
  }
}

/** Returns its three intermediates in the shape asked for. */
class Multi extends nn.Module {
  constructor(readonly as: 'array' | 'object' | 'map' | 'opaque') {
    super();
  }
  forward(x: Tensor): unknown {
    const a = x.mul(2);
    const b = a.add(1);
    const c = b.exp(); // a and b: intermediates
    const d = c.neg();
    if (this.as === 'array') return [c, [d]];
    if (this.as === 'object') return { c, nested: { d }, n: 3 };
    if (this.as === 'map')
      return new Map([
        ['c', c],
        ['d', d],
      ]);
    return new (class Box {
      constructor(readonly c: Tensor) {}
    })(c);
  }
}

/** Stores what it computes on itself: a field, and entries of a log (the PyTorch "keep the activation" habit). */
class Stash extends nn.Module {
  last: Tensor | null = null;
  log: { h: Tensor }[] = [];
  forward(x: Tensor): Tensor {
    const h = x.mul(3);
    this.last = h.add(1);
    this.log.push({ h });
    return h.sum();
  }
}

class Outer extends nn.Module {
  declare inner: Stash;
  constructor() {
    super();
    this.inner = new Stash();
  }
  forward(x: Tensor): Tensor {
    return this.inner.forward(x.add(1)).mul(2);
  }
}

class Throws extends nn.Module {
  forward(x: Tensor): Tensor {
    x.mul(2).add(1);
    throw new Error('boom');
  }
}

describe('module-call scopes', () => {
  it('are on by default', () => expect(moduleScopesEnabled()).toBe(true));

  it('a deep module call leaves only its output; with the scopes off, every intermediate stays until the tidy ends', () => {
    torch.manualSeed(0);
    const m = deep(10);
    const x = torch.randn([4, 6], f64);
    torch.tidy(() => {
      const before = live();
      const bytes = torch.memory().cpuBytes;
      const y = m.forward(x);
      expect(live()).toBe(before + 1);
      expect(torch.memory().cpuBytes - bytes).toBe(4 * 6 * 8); // only the output's storage: the saved activations are autograd's
      y.sum().backward(); // what backward needs survived in autograd
      expect(m.parameters()[0].grad).not.toBeNull();
    });
    _setModuleScopes(false);
    torch.tidy(() => {
      const before = live();
      m.forward(x);
      expect(live()).toBe(before + 20);
    });
  });

  it("nested calls free each call's intermediates as it returns (the live count does not grow with the blocks run)", () => {
    torch.manualSeed(0);
    const r = new Repeat(deep(3), 5);
    torch.tidy(() => {
      const x = torch.randn([2, 6], f64);
      const before = live();
      r.forward(x);
      // call i starts with 2i alive (each earlier block's output and its .mul(0.5)), each block's own 5 intermediates gone
      expect(r.seen.map((n) => n - before)).toEqual([0, 2, 4, 6, 8]);
    });
    _setModuleScopes(false);
    r.seen = [];
    torch.tidy(() => {
      const x = torch.randn([2, 6], f64);
      const before = live();
      r.forward(x);
      expect(r.seen.map((n) => n - before)).toEqual([0, 7, 14, 21, 28]);
    });
  });

  it('gradients through freed intermediates equal central finite differences and the scopes-off gradients bit for bit', () => {
    torch.manualSeed(1);
    const m = new nn.Sequential(new nn.Linear(3, 5, f64), new nn.Tanh(), deep(2, 5), new nn.Linear(5, 2, f64));
    const x = torch.randn([4, 3], f64);
    const loss = () => m.forward(x).square().sum();
    const w = m.parameters()[0];
    const grad = (on: boolean) => {
      _setModuleScopes(on);
      m.zeroGrad();
      torch.tidy(() => loss().backward());
      return Array.from(w.grad!.toArray() as Float64Array);
    };
    const g = grad(true);
    expect(grad(false)).toEqual(g);
    _setModuleScopes(true);
    const flat = w.detach().view([-1]); // shares w's storage
    const eps = 1e-6;
    const at = (i: number, d: number) =>
      torch.noGrad(() =>
        torch.tidy(() => {
          flat.narrow(0, i, 1).add_(d);
          const l = loss().item() as number;
          flat.narrow(0, i, 1).sub_(d);
          return l;
        }),
      );
    for (const i of [0, 4, 9, 14]) {
      const fd = (at(i, eps) - at(i, -eps)) / (2 * eps);
      expect(Math.abs(fd - g[i])).toBeLessThan(1e-6 * Math.max(1, Math.abs(g[i])));
    }
  });

  for (const as of ['array', 'object', 'map'] as const)
    it(`a forward returning ${as === 'array' ? 'nested arrays' : as === 'object' ? 'a nested plain object' : 'a Map'} keeps both outputs, frees the rest`, () => {
      const m = new Multi(as);
      torch.tidy(() => {
        const x = torch.ones([3]);
        const before = live();
        const out = m.forward(x) as Record<string, unknown>;
        expect(live()).toBe(before + 2);
        const c =
          as === 'array' ? (out as unknown as Tensor[])[0] : as === 'object' ? (out.c as Tensor) : ((out as unknown as Map<string, Tensor>).get('c') as Tensor);
        expect((c.toArray() as Float32Array)[0]).toBeCloseTo(Math.exp(3), 4);
      });
    });

  it('a result it cannot look into (a class instance) keeps everything the call made', () => {
    const m = new Multi('opaque');
    torch.tidy(() => {
      const x = torch.ones([3]);
      const before = live();
      const out = m.forward(x) as { c: Tensor };
      expect(live()).toBe(before + 4);
      expect((out.c.toArray() as Float32Array)[1]).toBeCloseTo(Math.exp(3), 4);
    });
  });

  it('tensors a module stores on itself during forward stay readable until the enclosing tidy ends, also through a parent module', () => {
    const o = new Outer();
    let kept: Tensor | null = null;
    torch.tidy(() => {
      const out = o.forward(torch.tensor([1, 2], { dtype: 'float32' }));
      expect(out.item()).toBe(2 * (6 + 9));
      expect(Array.from(o.inner.last!.toArray() as Float32Array)).toEqual([7, 10]);
      expect(Array.from(o.inner.log[0].h.toArray() as Float32Array)).toEqual([6, 9]);
      kept = o.inner.last;
    });
    expect(kept!.isDisposed).toBe(true); // and no longer: the step's tidy ended
  });

  it('a forward that throws keeps what it made until the caller scope ends', () => {
    const m = new Throws();
    torch.tidy(() => {
      const x = torch.ones([2]);
      const before = live();
      expect(() => m.forward(x)).toThrow('boom');
      expect(live()).toBe(before + 2);
    });
  });

  it('outside any tidy a module call makes no scope: the GC fallback owns all it made, as with the scopes off', () => {
    // The GC fallback paces its collections by the native bytes it owns; freeing the intermediates
    // early would leave it counting a small output that pins the whole graph (flat-memory.ts grew ×2.5).
    torch.manualSeed(0);
    const m = deep(4);
    const x = torch.randn([2, 6], f64);
    const made = (on: boolean) => {
      _setModuleScopes(on);
      const gc = torch.memory().gcOwnedTensors;
      const y = m.forward(x);
      const n = torch.memory().gcOwnedTensors - gc;
      y.dispose();
      return n;
    };
    const off = made(false);
    const on = made(true);
    _setModuleScopes(true);
    expect(off).toBeGreaterThan(4); // each layer's intermediates, not only the output
    expect(on).toBe(off);
  });

  it('the built-in models (small CNN stages, PreAct blocks) leave only the logits', () => {
    torch.manualSeed(0);
    for (const [m, shape] of [
      [nn.models.smallCNN(), [2, 1, 28, 28]],
      [nn.models.preactResNet18({ inChannels: 1, initialChannels: 4 }), [2, 1, 12, 12]],
    ] as const)
      torch.tidy(() => {
        const x = torch.randn([...shape]);
        const before = live();
        m.forward(x);
        expect(live()).toBe(before + 1);
      });
  });
});

describe('training is bit-identical with the scopes on and off', () => {
  /** The loss and every gradient of one step of method on a float64 small CNN, the same seeds each time. */
  function step(on: boolean, method: mixup.MixMethod<object> | null): { loss: number; grads: (number[] | null)[] } {
    _setModuleScopes(on);
    torch.manualSeed(3);
    const model = nn.models.smallCNN({ dtype: 'float64' });
    const policy = method && 'attach' in method ? (method as unknown as mixup.AdaMixupMethod).attach(model) : null;
    const x = torch.randn([8, 1, 28, 28], f64);
    const y = torch.randint(0, 10, [8]);
    torch.manualSeed(4);
    const loss = torch.tidy(() => {
      const r = method ? method.apply({ x, y, numClasses: 10, model }) : null;
      const l = r ? r.loss(r.output ?? model.forward(r.input!)) : nn.functional.crossEntropy(model.forward(x), y);
      l.backward();
      return l.item() as number;
    });
    const params = [...model.parameters(), ...(policy ? policy.parameters() : [])];
    return { loss, grads: params.map((p) => (p.grad === null ? null : Array.from(p.grad.toArray() as Float64Array))) };
  }
  const cases: [string, () => mixup.MixMethod<object> | null][] = [
    ['ERM', () => null],
    ['manifold mixup (hidden states mixed mid-network)', () => mixup.manifold({ alpha: 1, layers: [1, 2, 3] })],
    ['AdaMixup (generator, classifier and discriminator forwards)', () => mixup.adamixup()],
  ];
  for (const [name, make] of cases)
    it(name, () => {
      const on = step(true, make());
      const off = step(false, make());
      expect(Number.isFinite(on.loss)).toBe(true);
      expect(on.loss).toBe(off.loss);
      expect(on.grads.length).toBe(off.grads.length);
      expect(on.grads.filter((g) => g !== null).length).toBeGreaterThan(4);
      for (let i = 0; i < on.grads.length; i++) expect(on.grads[i]).toEqual(off.grads[i]);
    });
});

describe('TORCHMIX_MODULE_SCOPES', () => {
  const child = (value: string) =>
    spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `import('${path.join(root, 'lib/index.js')}').then(async ({ torch, nn }) => {
           const { moduleScopesEnabled } = await import('${path.join(root, 'lib/nn/call-scope.js')}');
           const m = new nn.Sequential(new nn.Linear(3, 3), new nn.ReLU(), new nn.Linear(3, 3));
           const n = torch.tidy(() => { const x = torch.ones([1, 3]); const b = torch.memory().liveTensors; m.forward(x); return torch.memory().liveTensors - b; });
           console.log(JSON.stringify({ on: moduleScopesEnabled(), n }));
         });`,
      ],
      { cwd: root, env: { ...process.env, TORCHMIX_MODULE_SCOPES: value }, encoding: 'utf8', timeout: 60_000 },
    );
  it("'off' runs forwards without their own scope (all three outputs stay); 'on' keeps one", () => {
    for (const [value, on, n] of [
      ['off', false, 3],
      ['on', true, 1],
    ] as const) {
      const r = child(value);
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual({ on, n });
    }
  });
  it('another value warns, naming the variable, and leaves the scopes on', () => {
    const r = child('nope');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain("TORCHMIX_MODULE_SCOPES='nope' is neither 'on' nor 'off'");
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!).on).toBe(true);
  });
});
