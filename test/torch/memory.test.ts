// Tensor lifetime (DESIGN.md, "Tensors and memory"): dispose / [Symbol.dispose], tidy scopes that
// nest, keep(), memory() accounting, the GC fallback, and a 100k-step leak test.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { torch } from '../../lib/index.js';
import type { Tensor } from '../../lib/torch/index.js';
import { N } from '../../lib/torch/native.js';
import { collectGarbage } from '../helpers/gc.js';
import { numbers } from '../helpers/numbers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const live = () => torch.memory().liveTensors;

describe('dispose', () => {
  it('drops exactly one handle and is idempotent', () => {
    const t = torch.ones([4]);
    const n = live();
    t.dispose();
    expect(live()).toBe(n - 1);
    expect(t.isDisposed).toBe(true);
    t.dispose();
    t[Symbol.dispose]();
    expect(live()).toBe(n - 1);
  });
  it('disposing one handle leaves views and aliases of the same data usable', () => {
    const a = torch.arange(6).reshape([2, 3]);
    const v = a.narrow(1, 0, 2);
    const alias = a.alias();
    a.dispose();
    expect(v.tolist()).toEqual([
      [0, 1],
      [3, 4],
    ]);
    expect(alias.sum().item()).toBe(15);
  });
  it('torch.dispose() releases every tensor in nested arrays / objects', () => {
    const a = torch.ones([1]),
      b = torch.ones([1]),
      c = torch.ones([1]);
    const n = live();
    torch.dispose({ x: [a, { y: b }], z: c, other: 42 });
    expect(live()).toBe(n - 3);
    expect([a.isDisposed, b.isDisposed, c.isDisposed]).toEqual([true, true, true]);
  });
  it('[Symbol.dispose] via `using` frees at the end of the block', () => {
    const n = live();
    let escaped: Tensor;
    {
      using t = torch.ones([8]);
      using u = t.mul(2);
      escaped = u;
      expect(live()).toBe(n + 2);
      expect(numbers(u)).toEqual([2, 2, 2, 2, 2, 2, 2, 2]); // (toArray makes no handle)
    }
    expect(live()).toBe(n);
    expect(escaped.isDisposed).toBe(true);
  });
});

describe('tidy', () => {
  it('disposes intermediates and keeps the returned tensor', () => {
    const n = live();
    let mid: Tensor | undefined;
    const out = torch.tidy(() => {
      mid = torch.ones([3]).mul(2);
      return mid.add(1).sum();
    });
    expect(live()).toBe(n + 1);
    expect(mid!.isDisposed).toBe(true);
    expect(out.isDisposed).toBe(false);
    expect(out.item()).toBe(9);
  });
  it('keeps tensors in returned nested arrays, plain objects and Maps', () => {
    const n = live();
    const r = torch.tidy(() => {
      const a = torch.ones([2]);
      const tmp = a.mul(10);
      return { list: [a.add(1), [a.add(2)]], obj: { deep: { t: tmp.sub(5) } }, map: new Map([['m', a.neg()]]), n: 3 };
    });
    expect(live()).toBe(n + 4);
    expect(r.list[0] as Tensor).toBeDefined();
    expect((r.list[0] as Tensor).tolist()).toEqual([2, 2]);
    expect((r.list[1] as Tensor[])[0].tolist()).toEqual([3, 3]);
    expect(r.obj.deep.t.tolist()).toEqual([5, 5]);
    expect(r.map.get('m')!.tolist()).toEqual([-1, -1]);
    expect(r.n).toBe(3);
  });
  it('returns non-tensor values unchanged and disposes everything made inside', () => {
    const n = live();
    const v = torch.tidy(() => torch.arange(5).sum().item());
    expect(v).toBe(10);
    expect(live()).toBe(n);
  });
  it('leaves tensors created outside the scope alone, even if returned', () => {
    const outside = torch.ones([2]);
    const n = live();
    const r = torch.tidy(() => {
      outside.add(1);
      return outside;
    });
    expect(r).toBe(outside);
    expect(outside.isDisposed).toBe(false);
    expect(live()).toBe(n);
  });
  it('nested scopes: a tensor returned by the inner scope moves to the outer one', () => {
    const n = live();
    let fromInner: Tensor | undefined;
    const out = torch.tidy(() => {
      fromInner = torch.tidy(() => torch.ones([2]).mul(3));
      expect(fromInner.isDisposed).toBe(false);
      expect(live()).toBe(n + 1); // the inner intermediate (ones) is gone already
      return fromInner.add(1);
    });
    expect(fromInner!.isDisposed).toBe(true); // owned by the outer scope, which did not return it
    expect(out.tolist()).toEqual([4, 4]);
    expect(live()).toBe(n + 1);
  });
  it('three levels deep, returned all the way out', () => {
    const n = live();
    const t = torch.tidy(() => torch.tidy(() => torch.tidy(() => torch.ones([1]).add(1))));
    expect(t.item()).toBe(2);
    expect(live()).toBe(n + 1);
  });
  it('keep() survives scope exit (also from a nested scope) until disposed', () => {
    const n = live();
    let kept: Tensor | undefined, notKept: Tensor | undefined;
    torch.tidy(() => {
      torch.tidy(() => {
        kept = torch.keep(torch.ones([2]).mul(5));
        notKept = torch.ones([2]);
      });
      expect(kept!.isDisposed).toBe(false);
      expect(notKept!.isDisposed).toBe(true);
    });
    expect(kept!.isDisposed).toBe(false);
    expect(kept!.tolist()).toEqual([5, 5]);
    expect(live()).toBe(n + 1);
    kept!.dispose();
    expect(live()).toBe(n);
  });
  it('a tidy that throws still disposes what it made, and rethrows', () => {
    const n = live();
    let inner: Tensor | undefined;
    expect(() =>
      torch.tidy(() => {
        inner = torch.ones([3]).mul(2);
        torch.tidy(() => torch.ones([1]).add(1)); // nested result lands in the throwing scope
        throw new RangeError('boom');
      }),
    ).toThrow(RangeError);
    expect(inner!.isDisposed).toBe(true);
    expect(live()).toBe(n);
    // the scope stack is intact: the next tidy works as usual
    const t = torch.tidy(() => torch.ones([1]).add(1));
    expect(t.item()).toBe(2);
    expect(live()).toBe(n + 1);
  });
  it('a tidy whose body raises a native error disposes its tensors', () => {
    const n = live();
    expect(() => torch.tidy(() => torch.ones([2, 3]).matmul(torch.ones([4, 5])))).toThrow(torch.TorchError);
    expect(live()).toBe(n);
  });
  it('a tidy returning a Promise throws a TorchError and disposes what it made', async () => {
    const n = live();
    let made: Tensor | undefined;
    const e = (() => {
      try {
        // void: tidy throws before anyone could await the promise
        void torch.tidy(async () => {
          made = torch.ones([2]);
          return made;
        });
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(torch.TorchError);
    expect((e as Error).message).toMatch(/Promise/);
    expect(made!.isDisposed).toBe(true);
    expect(live()).toBe(n);
    await Promise.resolve();
  });
  it('tensors disposed by hand inside a tidy are not released twice', () => {
    const n = live();
    torch.tidy(() => {
      const a = torch.ones([2]);
      a.dispose();
      a.dispose();
      const b = torch.ones([2]); // may reuse a's native slot
      torch.keep(b);
    });
    expect(live()).toBe(n + 1);
  });
});

describe('failed calls leak no handle', () => {
  it('tensor() with a bad dtype / device, or a device it cannot reach, frees its staging handle', () => {
    const n = live();
    const bad: (() => unknown)[] = [
      () => torch.tensor([1, 2], { dtype: 'float8' as never }),
      () => torch.tensor([1.5, 2], { device: 'gpu' }),
      () => torch.tensor(new Float32Array(3), { dtype: 'nope' as never }),
      () => torch.tensor([true, false], { device: 'tpu:0' }),
    ];
    if (!torch.cuda.isAvailable())
      bad.push(
        () => torch.tensor([1, 2], { device: 'cuda' }),
        () => torch.tensor(new Float64Array(2), { device: 'cuda:0' }),
      );
    for (const fn of bad) expect(fn).toThrow(torch.TorchError);
    expect(live()).toBe(n);
  });
  it('ops that throw (native or TypeScript checks) leave liveTensors unchanged', () => {
    const a = torch.ones([2, 3]);
    const n = live();
    const bad: (() => unknown)[] = [
      () => a.matmul(torch.ones([4, 5])), // the argument is created first: +1 handle, counted below
      () => a.indexSelect(0, torch.tensor([9])), // +1
      () => a.sum({ dim: 5 }),
      () => a.reshape([7]),
      () => a.add(undefined as never),
      () => torch.cat([a, torch.ones([3])]), // +1
      () => torch.zeros([-1]),
      () => a.to('int7'),
      () => a.item(),
    ];
    for (const fn of bad) expect(fn).toThrow(torch.TorchError);
    expect(live()).toBe(n + 3);
  });
});

describe('memory()', () => {
  it('liveTensors counts handles made by factories, ops, grad and split', () => {
    const n = live();
    const a = torch.ones([4, 2]);
    expect(live()).toBe(n + 1);
    const parts = a.split(1, 0);
    expect(live()).toBe(n + 5);
    const w = torch.ones([2]).requiresGrad_();
    w.mul(2).sum().backward(); // mul, sum: +2, w: +1
    expect(live()).toBe(n + 8);
    const g = w.grad!; // a new handle to the gradient
    expect(live()).toBe(n + 9);
    torch.dispose([a, parts, w, g]);
    expect(live()).toBe(n + 2);
    const m = torch.memory();
    expect(m.gcOwnedTensors).toBeLessThanOrEqual(m.liveTensors);
    expect(m).toHaveProperty('cpuBytes');
    expect(m).toHaveProperty('cudaAllocated');
    expect(m).toHaveProperty('cudaReserved');
  });
  it('cpuBytes counts each storage once: views and aliases add nothing, copies do', () => {
    const b0 = torch.memory().cpuBytes;
    const a = torch.zeros([1000]); // 4000 bytes
    const b1 = torch.memory().cpuBytes;
    expect(b1 - b0).toBe(4000);
    const views = [a.view([10, 100]), a.narrow(0, 10, 50), a.reshape([2, 500]), a.alias(), a.to('float32'), a.expand([3, 1000]), a.t()];
    expect(torch.memory().cpuBytes).toBe(b1);
    const copy = a.clone();
    const d = a.to('float64');
    expect(torch.memory().cpuBytes).toBe(b1 + 4000 + 8000);
    torch.dispose([copy, d]);
    expect(torch.memory().cpuBytes).toBe(b1);
    a.dispose();
    expect(torch.memory().cpuBytes).toBe(b1); // the views still hold the storage
    torch.dispose(views);
    expect(torch.memory().cpuBytes).toBe(b0);
  });
});

describe('GC fallback (child process with --expose-gc)', () => {
  it('tensors created outside any scope are freed once their wrappers are collected; referenced ones survive', () => {
    const script = path.join(root, 'test', 'fixtures', 'gc-fallback.ts');
    const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', script], { cwd: root, env: process.env, encoding: 'utf8', timeout: 50_000 });
    const report = `status ${r.status} signal ${r.signal}\n${r.stdout}\n${r.stderr}`;
    expect(r.signal, report).toBeNull();
    expect(r.status, report).toBe(0);
    const m = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(m.peak - m.baseline).toBeGreaterThanOrEqual(m.created); // they really were live
    expect(m.after, report).toBe(m.baseline + m.survivors); // every unreachable one was freed
    expect(m.survivorSum).toBe(45);
    expect(m.survivorValues).toEqual([2, 2, 2]);
    expect(m.rounds, report).toBe(1); // freed by the first gc(), without an event-loop turn
    expect(m.slotsReused, report).toBeGreaterThan(400); // the disposed tensors' slots were reused …
    expect(m.reusedIntact, report).toBe(true); // … and collecting their old wrappers freed none of them
  });
});

describe('GC fallback inside a synchronous loop (no tidy, no dispose, no await)', () => {
  const flat = (loop: string) => {
    const script = path.join(root, 'scripts', 'bench', 'gc-release', 'flat-memory.ts');
    const r = spawnSync(process.execPath, ['--import', 'tsx', script, '--loop', loop, '--at', '16,200,800', '--json'], {
      cwd: root,
      env: process.env,
      encoding: 'utf8',
      timeout: 110_000,
    });
    const report = `status ${r.status} signal ${r.signal}\n${r.stdout}\n${r.stderr}`;
    expect(r.status, report).toBe(0);
    return {
      lines: r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
      report,
    };
  };
  for (const loop of ['plain', 'item']) {
    it(
      `the issue-16 training loop (${loop}): live tensors and RSS at step 800 within 2x of step 200; the first loss freed before the loop ends`,
      { timeout: 120_000 },
      () => {
        const { lines, report } = flat(loop);
        const s = lines[lines.length - 1];
        expect(s.steps).toBe(800);
        expect(s.ratioBetween).toEqual([200, 800]);
        expect(s.firstLossFreed, report).toBe(true);
        // peaks over steps (16, 200] and (200, 800]; before the fix: 4 (nothing was ever freed)
        expect(s.liveRatio, report).toBeLessThanOrEqual(2);
        expect(s.rssRatio, report).toBeLessThanOrEqual(2);
        expect(lines[2].livePeak, report).toBeLessThan(3000); // 7,200 when nothing is freed
        if (loop === 'item') expect(s.lossesKept).toBe(800);
      },
    );
  }
  it('a tensor dropped inside a synchronous loop is freed before the loop ends', () => {
    const make = () => torch.zeros([1000])._id; // the wrapper is unreachable once make() returns
    const id = make();
    expect(N.isLive(id)).toBe(true);
    let i = 0;
    for (; i < 200_000 && N.isLive(id); i++) torch.zeros([1000]); // 4 kB each, dropped at once
    expect(N.isLive(id), `still live after ${i} more tensors`).toBe(false);
    expect(i).toBeGreaterThan(0);
    expect(torch.memory().gcOwnedTensors).toBeLessThan(100_000);
  });
});

describe('the live-tensor warning', () => {
  it('warns once, naming torch.tidy and the line that created most of the tensors', async () => {
    const warnings: Error[] = [];
    const listen = (w: Error) => warnings.push(w);
    process.on('warning', listen);
    const base = torch.memory().gcOwnedTensors;
    torch.setLiveTensorWarning(base + 2000);
    const kept: Tensor[] = [];
    // Dropped tensors alone never warn, however many pile up between two collections …
    const dropped = () => {
      for (let i = 0; i < 20_000; i++) torch.ones([2]).mul(2);
    };
    dropped();
    await new Promise((r) => setImmediate(r));
    expect(warnings.filter((w) => (w as { code?: string }).code === 'TORCHMIX_LIVE_TENSORS')).toHaveLength(0);
    // … kept ones that survive collections do: a list of "losses" whose dropped 100 kB inputs make
    // the collector run (external-memory pressure).
    const hoard = () => {
      for (let i = 0; i < 20_000; i++) kept.push(torch.ones([25_000]).sum());
    };
    hoard();
    await new Promise((r) => setImmediate(r)); // process warnings are emitted on the next tick
    process.off('warning', listen);
    torch.setLiveTensorWarning(50_000);
    torch.dispose(kept);
    const ours = warnings.filter((w) => (w as { code?: string }).code === 'TORCHMIX_LIVE_TENSORS');
    expect(ours).toHaveLength(1);
    expect(ours[0].message).toContain('torch.tidy');
    expect(ours[0].message).toMatch(/memory\.test\.ts:\d+/); // the hoard() line, not torchmix's own code
    expect(ours[0].message).toMatch(/^\d+ tensors are alive outside any torch.tidy scope; 64 of the last 64/);
    expect(() => torch.setLiveTensorWarning(0)).toThrow(RangeError);
  });
});

describe('leak test', () => {
  it('100k tidy training steps (mul/add/relu/sum + backward): liveTensors back to baseline exactly, RSS growth after a 10k warm-up < 50 MB', () => {
    torch.manualSeed(0);
    const w = torch.randn([64], { requiresGrad: true });
    const x = torch.randn([64]);
    const b = torch.randn([64]);
    // Earlier tests dropped GC-owned tensors; collect them first, or the loop's own collections free
    // them and liveTensors falls below the baseline.
    collectGarbage();
    const baseline = live();
    let rssWarm = 0;
    const t0 = performance.now();
    for (let i = 0; i < 100_000; i++) {
      if (i === 10_000) rssWarm = process.memoryUsage().rss;
      torch.tidy(() => {
        if (i % 1000 === 0) w.grad = null; // also exercise the grad setter
        const loss = x.mul(w).add(b).relu().sum();
        loss.backward();
      });
      if (i % 25_000 === 0) expect(live()).toBe(baseline);
    }
    const rssEnd = process.memoryUsage().rss;
    const seconds = (performance.now() - t0) / 1000;
    expect(live()).toBe(baseline);
    const growthMB = (rssEnd - rssWarm) / 2 ** 20;
    expect(growthMB, `RSS grew ${growthMB.toFixed(1)} MB between step 10k and 100k (${seconds.toFixed(1)} s)`).toBeLessThan(50);
    // the gradient is still right: d/dw sum(relu(x·w + b)) = x · [x·w + b > 0], accumulated 1000 times
    // since the reset at step 99000 (float32 accumulation: relative tolerance 2e-4)
    const want = torch.tidy(() => x.mul(x.mul(w).add(b).gt(0).float()).mul(1000).toArray() as Float32Array);
    const got = w.grad!.toArray() as Float32Array;
    expect(want.some((v) => v !== 0)).toBe(true);
    for (let k = 0; k < 64; k++) expect(Math.abs(got[k] - want[k])).toBeLessThanOrEqual(2e-4 * Math.abs(want[k]) + 1e-4);
    torch.dispose([w, x, b]);
  });
});
