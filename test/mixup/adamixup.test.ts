// AdaMixup: λ inside the learned region, gradients reaching the generator through λ (also checked by
// finite differences), the discriminator on the classifier's own trunk tensors, the models' trunk
// contract, option/attach errors, the Trainer (optimizer check, per-epoch statistics, checkpoint and
// bit-identical resume including the policy), and truncNormal_.
import { describe, it, expect, afterAll } from 'vitest';
import { torch, nn, optim, data, mixup, train } from '../../lib/index.js';
import { vals, labels } from './util.js';
import { snapshot, tmpDir, removeTmpDirs } from '../train/util.js';

type Tensor = torch.Tensor;
afterAll(removeTmpDirs);

const f64 = { dtype: 'float64' as const };

function batch(seed: number, n = 8) {
  torch.manualSeed(seed);
  return { x: torch.randn([n, 1, 28, 28], f64), y: torch.randint(0, 10, [n]), numClasses: 10 };
}

function cnn(seed: number) {
  torch.manualSeed(seed);
  return nn.models.smallCNN({ dtype: 'float64', dropout: [0, 0] });
}

describe('models expose a trunk', () => {
  const cases: [string, () => nn.Module & nn.Trunked, number[]][] = [
    ['smallCNN', () => nn.models.smallCNN(), [3, 1, 28, 28]],
    ['preactResNet18', () => nn.models.preactResNet18({ inChannels: 1, initialChannels: 4 }), [2, 1, 12, 12]],
    ['wideResNet', () => nn.models.wideResNet({ depth: 10, width: 1, inChannels: 1 }), [2, 1, 12, 12]],
    ['mlp', () => nn.models.mlp([5, 7, 6, 3]), [4, 5]],
  ];
  for (const [name, make, shape] of cases)
    it(`${name}: forward = forwardHead(forwardFeatures), numFeatures, freshCopy has its own weights`, () => {
      torch.manualSeed(0);
      const m = make().eval();
      const x = torch.randn(shape);
      const f = m.forwardFeatures(x);
      expect(f.shape).toEqual([shape[0], m.numFeatures]);
      expect(vals(m.forwardHead(f))).toEqual(vals(m.forward(x)));
      const c = m.freshCopy();
      expect(c).toBeInstanceOf(m.constructor);
      const a = m.namedParameters(),
        b = c.namedParameters();
      expect(b.map(([k, t]) => [k, t.shape])).toEqual(a.map(([k, t]) => [k, t.shape]));
      // Fresh init: no weight tensor shared or equal (biases/BN may start equal, weights do not).
      const w = a.filter(([k]) => k.endsWith('weight') && a.find(([kk]) => kk === k)![1].ndim > 1);
      for (const [k, t] of w) {
        const t2 = b.find(([kk]) => kk === k)![1];
        expect(t2 === t).toBe(false);
        expect(vals(t2)).not.toEqual(vals(t));
      }
      expect(nn.models.isTrunked(m)).toBe(true);
    });
});

describe('mixup.adamixup: one step', () => {
  it('λ ∈ [α, α+Δ] ⊂ [0, 1]; shapes; targets; batch split', () => {
    const model = cnn(1);
    const m = mixup.adamixup({ headInitStd: 0.3 });
    m.attach(model);
    for (const n of [8, 7, 2]) {
      const b = batch(n, n);
      const r = m.apply({ ...b, model }) as mixup.AdaMixupResult;
      const h = Math.floor(n / 2);
      expect(r.lam.shape).toEqual([h]);
      expect(r.partner.shape).toEqual([h]);
      expect(r.output!.shape).toEqual([2 * h, 10]);
      expect(r.target.shape).toEqual([2 * h, 10]);
      const lam = vals(r.lam),
        a = vals(r.alpha),
        d = vals(r.delta);
      for (let i = 0; i < h; i++) {
        expect(a[i]).toBeGreaterThanOrEqual(0);
        expect(d[i]).toBeGreaterThanOrEqual(0);
        expect(a[i] + d[i]).toBeLessThanOrEqual(1 + 1e-12);
        expect(lam[i]).toBeGreaterThanOrEqual(a[i] - 1e-12);
        expect(lam[i]).toBeLessThanOrEqual(a[i] + d[i] + 1e-12);
      }
      // Mixed rows: λ on y_i, 1−λ on y[partner_i]; the original rows one-hot y_i (i < h).
      const T = r.target.toArray() as Float64Array,
        p = vals(r.partner),
        y = vals(b.y);
      for (let i = 0; i < h; i++) {
        const want = new Array(10).fill(0);
        want[y[i]] += lam[i];
        want[y[p[i]]] += 1 - lam[i];
        for (let c = 0; c < 10; c++) expect(T[i * 10 + c]).toBeCloseTo(want[c], 12);
        for (let c = 0; c < 10; c++) expect(T[(h + i) * 10 + c]).toBe(c === y[i] ? 1 : 0);
      }
      expect(p.every((v) => v >= 0 && v < n)).toBe(true);
      const loss = r.loss(r.output!);
      expect(loss.shape).toEqual([]);
      expect(vals(loss)[0]).toBeCloseTo(vals(mixup.softTargetCrossEntropy(r.output!, r.target))[0] + vals(r.intrusionLoss)[0], 12);
    }
  });

  it('with fixed draws: the mixed input is λ·x1 + (1−λ)·x2 and the generator sees (m1·x1 + m2·x2)/2', () => {
    const model = cnn(2);
    const m0 = mixup.adamixup({ headInitStd: 0.3 });
    const policy = m0.attach(model);
    const b = batch(3, 6);
    torch.manualSeed(5);
    const noise = [torch.randn([3, 1, 28, 28], f64), torch.randn([3, 1, 28, 28], f64)] as const;
    const uniform = torch.tensor(new Float64Array([0, 0.5, 1]));
    const partner = [5, 0, 3, 1, 2, 4];
    const m = mixup.adamixup({ headInitStd: 0.3, sample: { partner, noise, uniform } });
    // Same policy weights: attach, then copy the state.
    m.attach(model).loadStateDict(policy.stateDict());
    const r = m.apply({ ...b, model }) as mixup.AdaMixupResult;
    const x1 = b.x.narrow(0, 0, 3),
      x2 = b.x.indexSelect(0, torch.tensor(BigInt64Array.from([5n, 0n, 3n])));
    const { alpha, delta } = policy.forward(noise[0].mul(x1).add(noise[1].mul(x2)).div(2));
    expect(vals(r.alpha)).toEqual(vals(alpha));
    expect(vals(r.delta)).toEqual(vals(delta));
    const lam = vals(r.lam),
      a = vals(alpha),
      d = vals(delta);
    expect(lam[0]).toBeCloseTo(a[0], 14);
    expect(lam[1]).toBeCloseTo(a[1] + 0.5 * d[1], 14);
    expect(lam[2]).toBeCloseTo(a[2] + d[2], 14);
    // The classifier's logits are model([x̃; x1]).
    const l = r.lam.reshape([3, 1, 1, 1]);
    const xMix = x1.mul(l).add(x2.mul(l.rsub(1)));
    const want = model.forward(torch.cat([xMix, x1], 0));
    const got = vals(r.output!),
      w = vals(want);
    for (let i = 0; i < w.length; i++) expect(Math.abs(got[i] - w[i])).toBeLessThan(1e-10);
    expect(vals(r.partner)).toEqual([5, 0, 3]);
  });

  it('generator parameters receive non-zero gradients through λ (and match finite differences)', () => {
    const model = cnn(4);
    const b = batch(6, 6);
    torch.manualSeed(7);
    const sample = {
      partner: [3, 4, 5, 0, 1, 2],
      noise: [torch.randn([3, 1, 28, 28], f64), torch.randn([3, 1, 28, 28], f64)] as const,
      uniform: torch.tensor(new Float64Array([0.2, 0.6, 0.9])),
    };
    for (const intrusionWeight of [1, 0]) {
      const m = mixup.adamixup({ headInitStd: 0.3, intrusionWeight, sample });
      torch.manualSeed(8);
      const policy = m.attach(model);
      const lossOf = () => torch.noGrad(() => vals((m.apply({ ...b, model }) as mixup.AdaMixupResult).loss(m.apply({ ...b, model }).output!))[0]);
      const r = m.apply({ ...b, model });
      const loss = r.loss(r.output!);
      policy.zeroGrad({ setToNone: true });
      model.zeroGrad({ setToNone: true });
      loss.backward();
      // the generator is a copy of the test's small CNN: its children by name
      const g = policy.generator as typeof policy.generator & { fc2: nn.Linear; conv1: nn.Conv2d };
      for (const [k, t] of [...g.namedParameters().filter(([k]) => !k.startsWith('fc2.')), ...policy.generatorHead.namedParameters()]) {
        expect(t.grad, `generator ${k}`).not.toBeNull();
        expect(vals(t.grad!.abs().max())[0], `generator ${k} grad`).toBeGreaterThan(0);
      }
      // The generator's own classifier head is unused: no gradient.
      expect(g.fc2.weight.grad).toBeNull();
      // The discriminator head gets gradients only from the intrusion loss.
      const dw = policy.discriminatorHead.namedParameters()[0][1];
      if (intrusionWeight === 0) expect(dw.grad === null || vals(dw.grad.abs().max())[0] === 0).toBe(true);
      else expect(vals(dw.grad!.abs().max())[0]).toBeGreaterThan(0);
      // Central differences on the generator head's last bias and one generator conv weight.
      const probes: [Tensor, number][] = [
        [policy.generatorHead.namedParameters()[3][1], 0],
        [policy.generatorHead.namedParameters()[3][1], 1],
        [g.conv1.weight, 4],
      ];
      for (const [t, i] of probes) {
        const flat = t.detach().reshape([-1]);
        const ga = vals(t.grad!.reshape([-1]))[i];
        const eps = 1e-6;
        const orig = vals(flat)[i];
        torch.noGrad(() => flat.narrow(0, i, 1).fill_(orig + eps));
        const up = lossOf();
        torch.noGrad(() => flat.narrow(0, i, 1).fill_(orig - eps));
        const down = lossOf();
        torch.noGrad(() => flat.narrow(0, i, 1).fill_(orig));
        const fd = (up - down) / (2 * eps);
        expect(Math.abs(fd - ga), `fd ${fd} vs analytic ${ga}`).toBeLessThan(1e-6 + 1e-5 * Math.abs(fd));
        expect(Math.abs(ga)).toBeGreaterThan(1e-9);
      }
    }
  });

  it("the intrusion discriminator uses the classifier's own trunk tensors (identity, not copies)", () => {
    const model = cnn(9);
    const m = mixup.adamixup({ headInitStd: 0.3 });
    const policy = m.attach(model);
    const mine = new Set(model.parameters());
    expect(policy.parameters().some((t) => mine.has(t))).toBe(false);
    expect(policy.discriminatorHead.parameters().length).toBe(4);
    const r = m.apply({ ...batch(10, 6), model }) as mixup.AdaMixupResult;
    model.zeroGrad({ setToNone: true });
    r.intrusionLoss.backward();
    // The intrusion loss reaches the classifier's trunk (conv1 … fc1), never its head (fc2).
    for (const [k, t] of model.namedParameters()) {
      if (k.startsWith('fc2.')) expect(t.grad, k).toBeNull();
      else expect(vals(t.grad!.abs().max())[0], k).toBeGreaterThan(0);
    }
  });

  it('works with every built-in model that has a trunk (PreActResNet, WideResNet, MLP): one step trains all parts', () => {
    const cases: [string, () => nn.Module & nn.Trunked, number[]][] = [
      ['preactResNet18', () => nn.models.preactResNet18({ inChannels: 1, initialChannels: 4 }), [4, 1, 12, 12]],
      ['wideResNet', () => nn.models.wideResNet({ depth: 10, width: 1, inChannels: 1 }), [4, 1, 12, 12]],
      ['mlp', () => nn.models.mlp([5, 7, 10]), [4, 5]],
    ];
    // Partners fixed so that no pair is a sample with itself (that pair would carry no gradient to λ).
    const sample = { partner: [2, 3, 0, 1] };
    for (const [name, make, shape] of cases) {
      torch.manualSeed(1);
      const model = make();
      const m = mixup.adamixup({ headInitStd: 0.3, sample });
      const policy = m.attach(model);
      const r = m.apply({ x: torch.randn(shape), y: labels([1, 2, 3, 4]), numClasses: 10, model }) as mixup.AdaMixupResult;
      expect(r.output!.shape, name).toEqual([4, 10]);
      r.loss(r.output!).backward();
      const gen = policy.generator.parameters();
      const withGrad = (ts: Tensor[]) => ts.filter((t) => t.grad !== null && vals(t.grad.abs().max())[0] > 0).length;
      expect(withGrad(gen), `${name}: generator tensors with gradient`).toBeGreaterThanOrEqual(gen.length / 2);
      expect(withGrad(policy.generatorHead.parameters()), name).toBe(4);
      expect(withGrad(policy.discriminatorHead.parameters()), name).toBe(4);
      expect(withGrad(model.parameters()), name).toBeGreaterThan(model.parameters().length / 2);
    }
  });

  it('errors: options, attach, apply', () => {
    expect(() => mixup.adamixup({ intrusionWeigth: 1 } as never)).toThrow(/unknown option 'intrusionWeigth'/);
    expect(() => mixup.adamixup({ intrusionWeight: -1 })).toThrow(/intrusionWeight/);
    expect(() => mixup.adamixup({ generatorHidden: 0 })).toThrow(/generatorHidden/);
    const m = mixup.adamixup();
    const model = cnn(0);
    expect(() => m.apply({ ...batch(0, 4), model })).toThrow(/attach\(model\) first/);
    class Plain extends nn.Module {
      forward(x: Tensor) {
        return x;
      }
    }
    expect(() => m.attach(new Plain())).toThrow(/must expose a trunk/);
    m.attach(model);
    expect(m.attach(model)).toBe(m.module);
    expect(() => m.attach(cnn(1))).toThrow(/already attached/);
    expect(() => m.apply({ ...batch(0, 4), model: cnn(2) })).toThrow(/not the model this method was attached to/);
    expect(() => m.apply({ ...batch(0, 1), model })).toThrow(/at least 2/);
    expect(() => m.apply({ x: batch(0, 4).x.to('uint8'), y: labels([0, 1, 2, 3]), numClasses: 10, model })).toThrow(/floating/);
    const r = m.apply({ ...batch(0, 4), model });
    expect(() => r.loss(torch.zeros([3, 10], f64))).toThrow(/expected logits of shape \[4, 10\]/);
    expect(mixup.methods().adamixup).toMatchObject({ intrusionWeight: 1, generatorHidden: 100, discriminatorHidden: 10 });
    expect(mixup.create('adamixup').name).toBe('adamixup');
  });
});

describe('AdaMixup in the Trainer', () => {
  function setupAda(seed: number) {
    torch.manualSeed(seed);
    const ds = data.moons({ n: 192, noise: 0.1, seed: 11 });
    const vs = data.moons({ n: 64, noise: 0.1, seed: 12 });
    const model = nn.models.mlp([2, 16, 16, 2], { dropout: 0.1 });
    const method = mixup.adamixup({ headInitStd: 0.1 });
    const policy = method.attach(model);
    const optimizer = new optim.SGD([...model.parameters(), ...policy.parameters()], { lr: 0.1, momentum: 0.9, weightDecay: 1e-4 });
    const trainLoader = new data.DataLoader(ds, { batchSize: 32, shuffle: true, seed: 3 });
    const valLoader = new data.DataLoader(vs, { batchSize: 64 });
    const trainer = (o: Partial<train.TrainerOptions>) =>
      new train.Trainer({ model, optimizer, method, train: trainLoader, val: valLoader, numClasses: 2, epochs: 4, progress: 'none', ...o });
    return {
      model,
      policy,
      method,
      optimizer,
      trainer,
      dispose: () => {
        optimizer.dispose();
        trainLoader.dispose();
        valLoader.dispose();
      },
    };
  }

  it('needs attach() and an optimizer over the policy', () => {
    const ds = data.moons({ n: 64, seed: 1 });
    const loader = new data.DataLoader(ds, { batchSize: 32 });
    const model = nn.models.mlp([2, 8, 2]);
    const method = mixup.adamixup();
    const opt1 = new optim.SGD(model.parameters(), { lr: 0.1 });
    expect(() => new train.Trainer({ model, optimizer: opt1, method, train: loader, numClasses: 2, epochs: 1 })).toThrow(
      /call method.attach\(model\) before building the optimizer/,
    );
    method.attach(model);
    expect(() => new train.Trainer({ model, optimizer: opt1, method, train: loader, numClasses: 2, epochs: 1 })).toThrow(
      /does not train 12 of the 12 parameters of method 'adamixup'/,
    );
    loader.dispose();
  });

  it('logs the learned policy per epoch; resume (checkpoint incl. the policy) is bit-identical', async () => {
    const a = setupAda(0);
    const h = await a.trainer({ epochs: 3 }).fit();
    for (const e of h.epochs) {
      const s = e.method as unknown as mixup.AdaMixupStats;
      expect(s.alphaMean).toBeGreaterThanOrEqual(0);
      expect(s.alphaMean + s.deltaMean).toBeLessThanOrEqual(1);
      expect(s.lamMean).toBeGreaterThanOrEqual(s.alphaMean);
      expect(s.lamMean).toBeLessThanOrEqual(s.alphaMean + s.deltaMean);
      expect(s.lamHist.length).toBe(20);
      expect(s.lamHist.reduce((x, y) => x + y, 0)).toBe(6 * 16); // 6 batches × 16 pairs
      expect(s.discAcc).toBeGreaterThanOrEqual(0);
      expect(s.discAcc).toBeLessThanOrEqual(1);
    }
    const straight = { model: snapshot(a.model), policy: snapshot(a.policy) };
    a.dispose();

    // Interrupted mid-epoch (epoch 2, step 3 of 6) and resumed: same weights and the same epoch statistics.
    const mid = tmpDir('ada-mid');
    const ac = new AbortController();
    const m1 = setupAda(0);
    await m1
      .trainer({
        epochs: 3,
        outDir: mid,
        logEvery: 1,
        signal: ac.signal,
        onLog: (st) => {
          if (st.iteration === 9) ac.abort();
        },
      })
      .fit();
    m1.dispose();
    const m2 = setupAda(5);
    const hm = await m2.trainer({ epochs: 3, outDir: mid, logEvery: 1, resume: true }).fit();
    expect(snapshot(m2.model)).toEqual(straight.model);
    expect(snapshot(m2.policy)).toEqual(straight.policy);
    expect(hm.epochs.map((e) => e.method)).toEqual(h.epochs.map((e) => e.method));
    m2.dispose();

    const dir = tmpDir('ada-resume');
    const b = setupAda(0);
    await b.trainer({ epochs: 1, outDir: dir }).fit();
    b.dispose();
    const c = setupAda(42); // different init: model and policy must come from the checkpoint
    expect(snapshot(c.policy)).not.toEqual(straight.policy);
    const h2 = await c.trainer({ epochs: 3, outDir: dir, resume: true }).fit();
    expect(snapshot(c.model)).toEqual(straight.model);
    expect(snapshot(c.policy)).toEqual(straight.policy);
    expect(h2.epochs.map((e) => e.valAcc)).toEqual(h.epochs.map((e) => e.valAcc));
    const meta = JSON.parse((await import('node:fs')).readFileSync(`${dir}/checkpoint.json`, 'utf8')) as train.CheckpointMeta;
    expect(meta.method?.keys).toEqual(Object.keys(torch.tidy(() => c.policy.stateDict())));
    c.dispose();
    // A checkpoint without the policy (trained with another method) is refused with a clear error.
    const d = setupAda(1);
    const other = tmpDir('ada-other');
    const s = (await import('../train/util.js')).setup(0);
    await (await import('../train/util.js')).trainerFor(s, { epochs: 1, outDir: other, scheduler: undefined }).fit();
    s.dispose();
    await expect(d.trainer({ epochs: 2, outDir: other, resume: true }).fit()).rejects.toThrow(/trained with method 'mixup' and holds no 'adamixup' state/);
    d.dispose();
  });
});

describe('init.truncNormal_', () => {
  it('stays in [a, b] with the truncated distribution’s mean and std', () => {
    torch.manualSeed(3);
    const t = nn.init.truncNormal_(torch.empty([200000], f64), { mean: 0.5, std: 2, a: -1, b: 3 });
    const v = vals(t);
    expect(v.reduce((a, b) => Math.min(a, b))).toBeGreaterThanOrEqual(-1);
    expect(v.reduce((a, b) => Math.max(a, b))).toBeLessThanOrEqual(3);
    // Truncated normal moments: α = (a−μ)/σ = −0.75, β = (b−μ)/σ = 1.25.
    const phi = (z: number) => Math.exp((-z * z) / 2) / Math.sqrt(2 * Math.PI);
    const Z = 0.8943502263331446 - 0.2266273523768682; // Φ(1.25) − Φ(−0.75)
    const al = -0.75,
      be = 1.25;
    const mean = 0.5 + (2 * (phi(al) - phi(be))) / Z;
    const variance = 4 * (1 + (al * phi(al) - be * phi(be)) / Z - ((phi(al) - phi(be)) / Z) ** 2);
    const m = v.reduce((x, y) => x + y, 0) / v.length;
    const s2 = v.reduce((x, y) => x + (y - m) ** 2, 0) / v.length;
    expect(Math.abs(m - mean)).toBeLessThan(5 * Math.sqrt(variance / v.length));
    expect(Math.abs(s2 - variance)).toBeLessThan(0.02 * variance);
    expect(() => nn.init.truncNormal_(torch.empty([3]), { a: 1, b: 0 })).toThrow(/a < b/);
  });
});

describe.skipIf(!torch.cuda.isAvailable())('AdaMixup on CUDA (skipped: no CUDA device here)', () => {
  it('one step on CUDA equals the CPU step; a policy left on the CPU is a clear error', () => {
    const b = batch(21, 6);
    torch.manualSeed(22);
    const sample = {
      partner: [1, 2, 0, 5, 4, 3],
      noise: [torch.randn([3, 1, 28, 28], f64), torch.randn([3, 1, 28, 28], f64)] as const,
      uniform: torch.tensor(new Float64Array([0.1, 0.5, 0.7])),
    };
    const cpuModel = cnn(23);
    const gpuModel = cpuModel.deepCopy().to('cuda');
    const mc = mixup.adamixup({ headInitStd: 0.3, sample });
    const mg = mixup.adamixup({ headInitStd: 0.3, sample });
    const pc = mc.attach(cpuModel);
    mg.attach(gpuModel).loadStateDict(torch.tidy(() => pc.stateDict()));
    const rc = mc.apply({ ...b, model: cpuModel });
    const rg = mg.apply({ x: b.x.to('cuda'), y: b.y.to('cuda'), numClasses: 10, model: gpuModel });
    expect(rg.output!.device).toMatch(/^cuda/);
    const lc = vals(rc.loss(rc.output!))[0],
      lg = vals(rg.loss(rg.output!).to('cpu'))[0];
    expect(Math.abs(lc - lg)).toBeLessThan(1e-9);
    const moved = cnn(24);
    const m3 = mixup.adamixup();
    m3.attach(moved); // attached on the CPU, then the model alone moves
    moved.to('cuda');
    expect(() => m3.apply({ x: b.x.to('cuda'), y: b.y.to('cuda'), numClasses: 10, model: moved })).toThrow(
      /the policy \(method.module\) is on cpu, the batch on cuda/,
    );
  });
});
