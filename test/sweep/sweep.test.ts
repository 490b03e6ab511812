// torchmix sweep: spec validation (nothing runs, the key is named), expansion and point names, a real
// 2×2 grid of two-moons runs with --jobs 2 and its summary (equal to the runs' results.json), a rerun
// that starts nothing, a point stopped by Ctrl-C and resumed to the numbers of an uninterrupted run,
// a failing point, and the attack step on Fashion-MNIST runs.
import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { torch } from '../../lib/index.js';
import { cli } from '../helpers/cli.js';
import { expandSweep, loadSweep } from '../../lib/sweep/spec.js';
import { LAUNCHER, TRAIN_LOG, runSweep } from '../../lib/sweep/runner.js';
import type { SweepSummary } from '../../lib/sweep/summary.js';
import type { ResultsLike, RobustnessLike } from '../../lib/sweep/state.js';

const tmp = (p: string) => fs.mkdtempSync(path.join(os.tmpdir(), `torchmix-sweep-${p}-`));
const readJson = <T>(f: string) => JSON.parse(fs.readFileSync(f, 'utf8')) as T;
/** Writes a spec (JSON) into dir; out defaults to dir/out. */
function spec(dir: string, s: Record<string, unknown>, file = 'spec.json'): string {
  const f = path.join(dir, file);
  fs.writeFileSync(f, JSON.stringify({ out: path.join(dir, 'out'), ...s }, null, 1));
  return f;
}
const sampleStd = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
};
const moons = { dataset: 'moons', epochs: 3, batchSize: 50, toy: { n: 200, nTest: 200 } };

describe('sweep spec validation: refused before anything runs, naming the key', () => {
  const cases: [Record<string, unknown> | string, RegExp][] = [
    [{ base: moons, grid: { alpha: [1, 2, -1] } }, /spec\.json: grid\.alpha\[2\]: expected a number > 0, got -1/],
    [{ base: moons, grid: { alfa: [1] } }, /grid\.alfa: unknown train setting \(did you mean alpha\?\)/],
    [{ base: { ...moons, lrr: 0.1 } }, /base\.lrr: unknown train setting \(did you mean lr\?\)/],
    [{ base: { dataset: 'moons', 'batch-size': 0 } }, /base\.batch-size: expected a positive integer, got 0/],
    [{ base: { ...moons, 'batch-size': 10 } }, /base\.batch-size: given twice \(as batchSize and batch-size\)/],
    [{ base: moons, grid: { seed: [] } }, /grid\.seed: expected a non-empty list of values, got \[\]/],
    [{ base: moons, grid: { seed: 3 } }, /grid\.seed: expected a list of values, got 3/],
    [{ base: moons, grid: { model: ['mlp', 'small-cnn'] } }, /point model=small-cnn: model: the toy set 'moons' has 2-D points; only mlp fits it/],
    [{ base: moons, points: [{ method: 'mixup' }, { method: 'mixupp' }] }, /point method=mixupp: method: unknown method 'mixupp' \(did you mean mixup\?\)/],
    [{ base: moons, points: [{ method: 'none', alpha: 1 }] }, /point method=none,alpha=1: alpha: method 'none' has no alpha/],
    [{ base: moons, points: [{ seed: 1 }], grid: { seed: [0] } }, /points\[0\]\.seed: also a grid key/],
    [{ base: moons, points: [{ epochs: 0 }] }, /points\[0\]\.epochs: expected a positive integer, got 0/],
    [{ base: moons, grid: { seed: [0, 0] } }, /grid\.seed\[1\]: 0 is listed twice/],
    [{ base: moons, points: [[{ method: 'none' }], { seed: 1 }] }, /points\[1\]: the points are a list of axes .* every entry must be a list/],
    [{ base: moons, points: [[{ method: 'none' }], [{ seed: 1, method: 'mixup' }]] }, /points\[1\]\[0\]\.method: also set by an earlier axis/],
    [{ base: moons, points: [[{ method: 'none' }], [{ alpha: -2 }]] }, /points\[1\]\[0\]\.alpha: expected a number > 0, got -2/],
    [{ base: { ...moons, out: 'x' } }, /base\.out: set by the sweep/],
    [{ base: moons, grids: {} }, /spec\.json: grids: unknown key \(did you mean grid\?\)/],
    [{ base: moons, attack: { attack: ['fgsm', 'cw'], eps: [0] } }, /attack\.attack\[1\]: expected one of fgsm, bim, pgd, pgdl2, got 'cw'/],
    [
      { base: { ...moons, dataset: 'fashion-mnist', model: 'mlp' }, attack: { attack: ['fgsm'], eps: [0, 'x/255'] } },
      /attack\.eps\[1\]: expected a number ≥ 0 or a fraction such as '8\/255', got 'x\/255'/,
    ],
    [{ base: moons, attack: { attack: ['fgsm'], eps: [0] } }, /attack: point base trains on the toy set 'moons'/],
    [{ base: moons, summary: { groupBy: ['methd'] } }, /summary\.groupBy\[0\]: unknown train setting 'methd' \(did you mean method\?\)/],
    ['grid: [1, 2', /spec\.yaml: not valid YAML/],
  ];
  for (const [s, re] of cases)
    it(`${typeof s === 'string' ? s : JSON.stringify(s).slice(0, 90)}`, async () => {
      const dir = tmp('bad');
      let file: string;
      if (typeof s === 'string') fs.writeFileSync((file = path.join(dir, 'spec.yaml')), s);
      else file = spec(dir, s);
      const r = await cli(['sweep', file]);
      expect(r.code, r.err).toBe(2);
      expect(r.err).toMatch(/^torchmix sweep: error: /);
      expect(r.err).toMatch(re);
      expect(fs.existsSync(path.join(dir, 'out'))).toBe(false);
    });
  it('flags: --jobs, a missing SPEC', async () => {
    expect((await cli(['sweep', 'x.yaml', '--jobs', '0'])).err).toMatch(/--jobs: expected a positive integer, got '0'/);
    expect((await cli(['sweep'])).err).toMatch(/SPEC: give the sweep's spec file/);
    expect((await cli(['sweep', '/nonexistent/s.yaml'])).err).toMatch(/SPEC: cannot read '\/nonexistent\/s.yaml': ENOENT/);
  });
});

describe('sweep expansion', () => {
  it('points × grid, the last grid key fastest, names from the swept values; YAML and kebab keys', async () => {
    const dir = tmp('expand');
    fs.writeFileSync(
      path.join(dir, 's.yaml'),
      `name: study\nbase: { dataset: moons, epochs: 2 }\npoints:\n  - { method: none }\n  - { method: mixup, alpha: 8 }\ngrid:\n  label-noise: [0, 0.5]\n  seed: [0, 1]\n`,
    );
    const s = loadSweep(path.join(dir, 's.yaml'));
    expect(s.name).toBe('study');
    expect(s.out).toBe(path.join('sweeps', 'study'));
    expect(s.points.map((p) => p.name)).toEqual([
      'method=none,labelNoise=0,seed=0',
      'method=none,labelNoise=0,seed=1',
      'method=none,labelNoise=0.5,seed=0',
      'method=none,labelNoise=0.5,seed=1',
      'method=mixup,alpha=8,labelNoise=0,seed=0',
      'method=mixup,alpha=8,labelNoise=0,seed=1',
      'method=mixup,alpha=8,labelNoise=0.5,seed=0',
      'method=mixup,alpha=8,labelNoise=0.5,seed=1',
    ]);
    expect(s.groupBy).toEqual(['method', 'alpha', 'labelNoise']);
    const p = s.points[6];
    expect(p.settings).toEqual({ dataset: 'moons', epochs: 2, method: 'mixup', alpha: 8, labelNoise: 0.5, seed: 0 });
    expect(p.config).toMatchObject({
      dataset: 'moons',
      model: 'mlp',
      epochs: 2,
      alpha: 8,
      labelNoise: 0.5,
      seed: 0,
      out: path.join('sweeps', 'study', 'runs', p.name),
    });
    // Unsafe characters in values become '_'; objects are named by their JSON.
    const t = expandSweep({ base: { dataset: 'moons' }, grid: { toy: [{ n: 100 }, { n: 200 }] } }, { specFile: 'x.json', out: '/o' });
    expect(t.points.map((q) => q.name)).toEqual(['toy=__n__100_', 'toy=__n__200_']);
    expect(t.points[1].dir).toBe('/o/runs/toy=__n__200_');
    // Points as axes (lists of alternatives): their product, crossed with the grid.
    const ax = expandSweep(
      {
        base: { dataset: 'fashion-mnist' },
        points: [
          [{ method: 'none' }, { method: 'mixup', alpha: 8 }],
          [{ labelNoise: 0.2 }, { labelNoise: 0.4, labelNoiseMode: 'asymmetric' }],
        ],
        grid: { seed: [0, 1] },
      },
      { specFile: 'x.json', out: '/o' },
    );
    expect(ax.points.map((q) => q.name)).toEqual([
      'method=none,labelNoise=0.2,seed=0',
      'method=none,labelNoise=0.2,seed=1',
      'method=none,labelNoise=0.4,labelNoiseMode=asymmetric,seed=0',
      'method=none,labelNoise=0.4,labelNoiseMode=asymmetric,seed=1',
      'method=mixup,alpha=8,labelNoise=0.2,seed=0',
      'method=mixup,alpha=8,labelNoise=0.2,seed=1',
      'method=mixup,alpha=8,labelNoise=0.4,labelNoiseMode=asymmetric,seed=0',
      'method=mixup,alpha=8,labelNoise=0.4,labelNoiseMode=asymmetric,seed=1',
    ]);
    expect(ax.groupBy).toEqual(['method', 'alpha', 'labelNoise', 'labelNoiseMode']);
    expect(ax.points[0].config).toMatchObject({ labelNoise: 0.2 });
    expect(ax.points[2].config).toMatchObject({ labelNoise: 0.4, labelNoiseMode: 'asymmetric' });
    // The train config's own cross-field rules hold per point.
    expect(() => expandSweep({ base: { dataset: 'moons' }, points: [{ labelNoise: 0.4, labelNoiseMode: 'asymmetric' }] }, { specFile: 'x.json' })).toThrow(
      /x\.json: point labelNoise=0\.4,labelNoiseMode=asymmetric: labelNoiseMode: 'moons' has no asymmetric noise map/,
    );
    // No grid and no points: one point named 'base'.
    expect(expandSweep({ base: { dataset: 'moons' } }, { specFile: 'x.json' }).points.map((q) => q.name)).toEqual(['base']);
  });
});

describe('torchmix sweep: a 2×2 grid of two-moons runs', () => {
  it('runs with --jobs 2, writes the summary from the runs, and a rerun starts nothing', async () => {
    const dir = tmp('grid');
    const file = spec(dir, { name: 'g', base: moons, grid: { labelNoise: [0, 0.3], seed: [0, 1] } });
    const t0 = Date.now();
    const r = await cli(['sweep', file, '--jobs', '2', '--threads', '2', '--progress', 'lines']);
    expect(r.code, r.err + r.out).toBe(0);
    expect(r.err).toMatch(/4 points in .*; 0 finished \(skipped\), 0 to resume, 4 to start; 2 at a time, 1 thread each/);
    expect(r.err).toMatch(/sweep: finished labelNoise=.* in .*\| 4\/4 done, 0 running, 0 failed, eta 0s\n$/);
    const out = path.join(dir, 'out');
    const s = readJson<SweepSummary>(path.join(out, 'summary.json'));
    expect(s.points.map((p) => p.name)).toEqual(['labelNoise=0,seed=0', 'labelNoise=0,seed=1', 'labelNoise=0.3,seed=0', 'labelNoise=0.3,seed=1']);
    const results = s.points.map((p) => readJson<ResultsLike>(path.join(out, 'runs', p.name, 'results.json')));
    results.forEach((res, i) => {
      const accs = res.history.epochs.map((e) => e.valAcc as number);
      const p = s.points[i];
      expect(p.status).toBe('finished');
      expect(res.config.threads).toBe(1);
      for (const k of ['dataset', 'model', 'epochs', 'batchSize', 'lr', 'labelNoise', 'seed', 'toy']) expect(p.config[k], k).toEqual(res.config[k]);
      // The children ran on this test's LibTorch build (TORCHMIX_ADDON inherited).
      expect((res.libtorch as { version: string }).version).toBe(torch.config().version);
      expect(p.best!.acc).toBe(Math.max(...accs));
      expect(p.best!.epoch).toBe(res.history.epochs[accs.indexOf(Math.max(...accs))].epoch);
      expect(p.last).toEqual({ acc: accs[accs.length - 1], epoch: 3 });
      if (res.labelNoise) expect(p.labelNoise).toEqual(res.labelNoise);
    });
    expect(results[2].labelNoise?.rate).toBeGreaterThan(0);
    // Groups over seeds: mean ± sample std.
    expect(s.groups.map((g) => g.group)).toEqual([{ labelNoise: 0 }, { labelNoise: 0.3 }]);
    for (const [gi, idx] of [
      [0, [0, 1]],
      [1, [2, 3]],
    ] as const) {
      const last = idx.map((i) => s.points[i].last!.acc);
      const best = idx.map((i) => s.points[i].best!.acc);
      expect(s.groups[gi].last!.mean).toBeCloseTo((last[0] + last[1]) / 2, 12);
      expect(s.groups[gi].last!.std).toBeCloseTo(sampleStd(last), 12);
      expect(s.groups[gi].best!.std).toBeCloseTo(sampleStd(best), 12);
      expect(s.groups[gi].last!.n).toBe(2);
    }
    const g1 = s.groups[1];
    const md = fs.readFileSync(path.join(out, 'summary.md'), 'utf8');
    expect(md).toContain(
      `| 0.3 | 2/2 | ${(100 * g1.best!.mean).toFixed(2)} ± ${(100 * g1.best!.std).toFixed(2)} | ${(100 * g1.last!.mean).toFixed(2)} ± ${(100 * g1.last!.std).toFixed(2)} |`,
    );
    const html = fs.readFileSync(path.join(out, 'sweep.html'), 'utf8');
    expect(html).toContain('<h2>Accuracy vs label noise</h2>');
    expect(html).toMatch(/<figure><svg/);
    expect(html).not.toContain('Robust accuracy');
    const first = Date.now() - t0;

    // Rerun: every point finished, no child started (the logs are untouched), the summary rewritten.
    const logs = s.points.map((p) => fs.readFileSync(path.join(out, 'runs', p.name, TRAIN_LOG), 'utf8'));
    expect(logs[0]).toMatch(/^# .* torchmix train --config .* --progress none --threads 1\n/);
    const t1 = Date.now();
    const again = await cli(['sweep', file, '--jobs', '2', '--threads', '2', '--progress', 'lines']);
    expect(again.code, again.err).toBe(0);
    expect(again.err).toMatch(/4 finished \(skipped\), 0 to resume, 0 to start/);
    expect(again.err).not.toMatch(/sweep: start/);
    expect(s.points.map((p) => fs.readFileSync(path.join(out, 'runs', p.name, TRAIN_LOG), 'utf8'))).toEqual(logs);
    expect(Date.now() - t1).toBeLessThan(first / 2);
    const s2 = readJson<SweepSummary>(path.join(out, 'summary.json'));
    expect(s2.groups).toEqual(s.groups);
    // --summary-only rebuilds it; --dry-run lists every point as finished.
    fs.rmSync(path.join(out, 'summary.md'));
    expect((await cli(['sweep', file, '--summary-only'])).code).toBe(0);
    expect(fs.readFileSync(path.join(out, 'summary.md'), 'utf8')).toBe(md);
    const dry = await cli(['sweep', file, '--dry-run']);
    expect(dry.out.match(/\[finished\]/g)).toHaveLength(4);
    // One sweep per folder: a live pid in sweep.lock refuses a second; a dead one's lock is taken over.
    fs.writeFileSync(path.join(out, 'sweep.lock'), `${process.pid}\n`);
    const locked = await cli(['sweep', file]);
    expect(locked.code).toBe(2);
    expect(locked.err).toMatch(new RegExp(`another torchmix sweep \\(pid ${process.pid}\\) is running in this folder`));
    fs.writeFileSync(path.join(out, 'sweep.lock'), '4194303999\n');
    expect((await cli(['sweep', file, '--progress', 'none'])).code).toBe(0);
    expect(fs.existsSync(path.join(out, 'sweep.lock'))).toBe(false);
    // A changed spec under existing runs is refused.
    const changed = spec(dir, { name: 'g', base: { ...moons, epochs: 4 }, grid: { labelNoise: [0, 0.3], seed: [0, 1] } }, 'changed.json');
    const c = await cli(['sweep', changed]);
    expect(c.code).toBe(2);
    expect(c.err).toMatch(/point labelNoise=0,seed=0: epochs is 3 in .*config\.json, the spec says 4/);
  }, 90_000);

  it('a failing point is reported with its log and the others run; exit code 1', async () => {
    const dir = tmp('fail');
    const file = spec(dir, {
      base: { dataset: 'mnist', model: 'mlp', epochs: 1, dataDir: path.join(dir, 'nothing-here') },
      points: [{ dataset: 'moons', toy: { n: 100, nTest: 100 } }, { seed: 1 }],
    });
    const r = await cli(['sweep', file, '--threads', '1', '--progress', 'none']);
    const why = r.err + r.out;
    expect(r.code, why).toBe(1);
    expect(r.out, why).toMatch(/1\/2 points finished, 1 failed/);
    expect(r.err).toMatch(/failed: seed=1: train exited with code 2:\n# .* torchmix train [^]*torchmix train: error: --data-dir: /);
    const s = readJson<SweepSummary>(path.join(dir, 'out', 'summary.json'));
    expect(
      s.points.map((p) => p.status),
      why,
    ).toEqual(['finished', 'missing']);
  }, 60_000);
});

describe('torchmix sweep: Ctrl-C and resume', () => {
  it('SIGINT reaches the running point once (it writes a checkpoint), exit 130; the rerun resumes it to the uninterrupted numbers', async () => {
    const dir = tmp('resume');
    const base = { dataset: 'moons', epochs: 12, batchSize: 8, toy: { n: 1000, nTest: 200 }, threads: 1 };
    const file = spec(dir, { base, grid: { seed: [3] } });
    // The uninterrupted reference (its own folder).
    // (Run in-process with a short heartbeat: the status line names the running point's epoch.)
    let refErr = '';
    const ref = await runSweep(loadSweep(file, { out: path.join(dir, 'ref') }), {
      jobs: 1,
      progress: 'lines',
      heartbeatSeconds: 0.2,
      io: { out: () => {}, err: (t) => void (refErr += t) },
    });
    expect(
      ref.outcomes.map((o) => o.status),
      refErr,
    ).toEqual(['done']);
    expect(refErr).toMatch(/sweep: running seed=3 \(epoch \d+\/12\) \| 0\/1 done, 1 running, 0 failed, eta (…|(\d+m)?\d+s)\n/);
    const want = readJson<ResultsLike>(path.join(dir, 'ref', 'runs', 'seed=3', 'results.json'));

    const run = path.join(dir, 'out', 'runs', 'seed=3');
    // In its own process group, signalled as a terminal's Ctrl-C is: the whole group at once.
    const child = spawn(process.execPath, [LAUNCHER, 'sweep', file, '--progress', 'lines'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: process.env,
      detached: true,
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      let sent = false;
      const poll = setInterval(() => {
        // After the first epoch's checkpoint: a real interruption mid-run.
        if (!sent && fs.existsSync(path.join(run, 'checkpoint.json'))) {
          sent = true;
          process.kill(-child.pid!, 'SIGINT');
        }
      }, 20);
      child.on('close', (c) => {
        clearInterval(poll);
        resolve(c);
      });
    });
    expect(code, err).toBe(130);
    expect(err).toMatch(/interrupted: stopping 1 running point/);
    expect(err).toMatch(/rerun the same command to resume: torchmix sweep /);
    const cut = readJson<ResultsLike>(path.join(run, 'results.json'));
    expect(cut.history.interrupted).toBe(true);
    expect(cut.history.epochs.length).toBeLessThan(12);
    expect(readJson<SweepSummary>(path.join(dir, 'out', 'summary.json')).points[0].status).toBe('unfinished');
    // One SIGINT reached the point: a second would have quit it at once, without results.json or checkpoint.
    expect(readJson<{ epoch: number; step: number }>(path.join(run, 'checkpoint.json')).epoch).toBeGreaterThanOrEqual(1);

    const again = await cli(['sweep', file, '--progress', 'lines']);
    expect(again.code, again.err).toBe(0);
    expect(again.err).toMatch(/0 finished \(skipped\), 1 to resume, 0 to start/);
    expect(fs.readFileSync(path.join(run, TRAIN_LOG), 'utf8')).toMatch(/torchmix train .* --resume\n/);
    const got = readJson<ResultsLike>(path.join(run, 'results.json'));
    expect(got.history.interrupted).toBe(false);
    expect(got.history.epochs.map((e) => e.epoch)).toEqual(want.history.epochs.map((e) => e.epoch));
    const [a, b] = [got.history.epochs[11], want.history.epochs[11]];
    expect(a.valAcc).toBe(b.valAcc);
    expect(a.valLoss).toBe(b.valLoss);
    expect(a.trainLoss).toBe(b.trainLoss);
  }, 90_000);
});

describe('torchmix sweep: attacks on the finished runs', () => {
  const fmnist = fs.existsSync('/usr/share/datasets/fashion-mnist');
  it.skipIf(!fmnist)(
    'attacks every point, summarises robust accuracy, and reruns only the attack when its settings change (needs Fashion-MNIST)',
    async () => {
      const dir = tmp('attack');
      const base = { dataset: 'fashion-mnist', model: 'mlp', epochs: 1, trainSize: 500, batchSize: 100 };
      const attack = { attack: ['fgsm', 'pgd'], eps: [0, '2/255'], steps: 2, limit: 100 };
      const file = spec(dir, { base, grid: { method: ['none', 'mixup'] }, attack });
      const r = await cli(['sweep', file, '--jobs', '2', '--threads', '2', '--progress', 'lines']);
      expect(r.code, r.err).toBe(0);
      expect(r.err).toMatch(/2 to start, 2 to attack/);
      const out = path.join(dir, 'out');
      const s = readJson<SweepSummary>(path.join(out, 'summary.json'));
      for (const p of s.points) {
        const rob = readJson<RobustnessLike>(path.join(out, 'runs', p.name, 'robustness.json'));
        expect(rob.results.map((x) => [x.attack, x.eps])).toEqual([
          ['fgsm', 0],
          ['fgsm', 2 / 255],
          ['pgd', 0],
          ['pgd', 2 / 255],
        ]);
        expect(p.robustness).toEqual(rob.results.map(({ attack, eps, acc, loss, n }) => ({ attack, eps, acc, loss, n })));
        expect(rob.results[0].n).toBe(100);
      }
      // One point per group (no seeds): the group's robust accuracy is the point's, std 0, n 1.
      expect(s.groups[1].robust.find((x) => x.attack === 'pgd' && x.eps === 2 / 255)!.acc).toEqual({ mean: s.points[1].robustness![3].acc, std: 0, n: 1 });
      const md = fs.readFileSync(path.join(out, 'summary.md'), 'utf8');
      expect(md).toContain('pgd ε=2/255 %');
      expect(fs.readFileSync(path.join(out, 'sweep.html'), 'utf8')).toContain('<h2>Robust accuracy vs ε</h2>');

      // Same spec: nothing to do. Another ε: the attack only, no training.
      const same = await cli(['sweep', file, '--progress', 'lines']);
      expect(same.err).toMatch(/2 finished \(skipped\), 0 to resume, 0 to start, 0 to attack/);
      const logBefore = fs.readFileSync(path.join(out, 'runs', 'method=none', TRAIN_LOG), 'utf8');
      const more = spec(dir, { base, grid: { method: ['none', 'mixup'] }, attack: { ...attack, eps: [0, '2/255', '4/255'] } }, 'more.json');
      const m = await cli(['sweep', more, '--progress', 'lines']);
      expect(m.code, m.err).toBe(0);
      expect(m.err).toMatch(/0 finished \(skipped\), 0 to resume, 0 to start, 2 to attack/);
      const added = fs.readFileSync(path.join(out, 'runs', 'method=none', TRAIN_LOG), 'utf8').slice(logBefore.length);
      expect(added).toMatch(/^# .* torchmix attack --checkpoint .* --attack fgsm,pgd --eps 0,0\.00784313725490196,0\.01568627450980392 --steps 2 --limit 100/);
      expect(added).not.toMatch(/torchmix train/);
      const rob = readJson<RobustnessLike>(path.join(out, 'runs', 'method=none', 'robustness.json'));
      expect(rob.results.filter((x) => x.attack === 'fgsm').map((x) => x.eps)).toEqual([0, 2 / 255, 4 / 255]);
    },
    90_000,
  );
});
