// torchmix attack: a tiny MNIST-format run (synthetic IDX files, an MLP, one epoch) attacked through
// main(): robustness.json validates and equals attacks.evaluateAttack run directly with the same
// settings (pixel-space loader, the run's normalisation), ε = 0 equals `torchmix eval`, FGSM accuracy
// does not rise with ε, the report gains its section, --compare overlays two runs; bad flags exit 2
// naming the flag; toy-set runs are refused.
import { describe, it, expect, beforeAll } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { torch, data, attacks } from '../../lib/index.js';
import { cli, tmp } from '../helpers/cli.js';
import { writeSyntheticMnist } from '../report/synthetic.js';
import { parseRobustness, ROBUSTNESS_FILE, type Robustness } from '../../lib/report/robustness.js';
import { resolveConfig } from '../../lib/cli/config.js';
import { loadSplit, buildModel, locateRun, loadWeights, NORMALIZE } from '../../lib/cli/build.js';
import { parseEpsList } from '../../lib/cli/attack.js';

const root = tmp('attack');
const dataDir = writeSyntheticMnist(path.join(root, 'mnist'), 256, 120);
const runA = path.join(root, 'erm');
const runB = path.join(root, 'mixup');
const trainArgs = (out: string, method: string) =>
  ['train', '--dataset', 'mnist', '--data-dir', dataDir, '--model', 'mlp', '--method', method, '--epochs', '1', '--batch-size', '32'].concat([
    '--lr',
    '0.05',
    '--threads',
    '1',
    '--progress',
    'none',
    '--out',
    out,
  ]);
const readRob = (dir: string): Robustness => parseRobustness(JSON.parse(fs.readFileSync(path.join(dir, ROBUSTNESS_FILE), 'utf8')));

/** The run's model rebuilt independently of the command, and the test split as a pixel-space loader. */
function modelAndLoader(dir: string, batchSize = 1000) {
  const run = locateRun(dir);
  const cfg = resolveConfig([{ values: { ...run.config, resume: false }, origin: { kind: 'saved', file: run.dir } }]);
  const ds = loadSplit(cfg, 'test');
  const model = buildModel(cfg, ds);
  loadWeights(model, run.weights);
  return { model, loader: new data.DataLoader(ds, { batchSize }) };
}

beforeAll(async () => {
  for (const [out, m] of [
    [runA, 'none'],
    [runB, 'mixup'],
  ]) {
    const r = await cli(trainArgs(out, m));
    expect(r.code, r.err).toBe(0);
  }
}, 120_000);

describe('torchmix attack on a trained image run', () => {
  const EPS = '0,2/255,8/255,0.1,0.3';
  let res: { code: number; out: string; err: string };
  let rob: Robustness;
  beforeAll(async () => {
    res = await cli([
      'attack',
      '--checkpoint',
      runA,
      '--attack',
      'fgsm,bim,pgd',
      '--eps',
      EPS,
      '--steps',
      '3',
      '--seed',
      '5',
      '--batch-size',
      '50',
      '--threads',
      '1',
    ]);
    expect(res.code, res.err).toBe(0);
    rob = readRob(runA);
  }, 120_000);

  it('writes a valid robustness.json: every attack × ε, the settings, the run normalisation', () => {
    expect(rob).toMatchObject({ dataset: 'mnist', split: 'test', n: 120, checkpoint: path.join(runA, 'checkpoint.safetensors') });
    expect(rob.settings).toEqual({ steps: 3, stepSize: null, limit: null, seed: 5, randomStart: true, normalize: { mean: [0.1307], std: [0.3081] } });
    expect(rob.results.map((r) => `${r.attack}@${r.eps.toFixed(4)}`)).toEqual(
      ['fgsm', 'bim', 'pgd'].flatMap((a) => [0, 2 / 255, 8 / 255, 0.1, 0.3].map((e) => `${a}@${e.toFixed(4)}`)),
    );
    // ε = 0 is one clean evaluation, listed under each attack
    const clean = rob.results.filter((r) => r.eps === 0);
    expect(clean.map((r) => [r.acc, r.loss, r.n])).toEqual([0, 1, 2].map(() => [clean[0].acc, clean[0].loss, 120]));
    expect(NORMALIZE.mnist).toEqual(rob.settings.normalize);
  });
  it('ε = 0 equals torchmix eval on the same split', async () => {
    const e = await cli(['eval', '--checkpoint', runA, '--json']);
    expect(e.code, e.err).toBe(0);
    const m = JSON.parse(e.out) as { acc: number; loss: number; n: number };
    const clean = rob.results.find((r) => r.eps === 0)!;
    expect(m.n).toBe(clean.n);
    expect(clean.acc).toBe(m.acc);
    expect(clean.loss).toBeCloseTo(m.loss, 5);
    expect(m.acc).toBeGreaterThan(0.5); // the run learned something, so the attacks have something to break
  });
  it('equals attacks.evaluateAttack run directly on a pixel-space loader with the same settings', () => {
    const { model, loader } = modelAndLoader(runA, 50);
    try {
      for (const r of rob.results.filter((x) => x.eps > 0 && (x.eps === 8 / 255 || x.eps === 0.3))) {
        torch.manualSeed(5);
        const opts = { attack: r.attack as attacks.AttackName, eps: r.eps, normalize: NORMALIZE.mnist, ...(r.attack === 'fgsm' ? {} : { steps: 3 }) };
        const d = attacks.evaluateAttack(model, loader, opts);
        expect([r.attack, r.eps, d.acc, d.n]).toEqual([r.attack, r.eps, r.acc, r.n]);
        expect(d.loss).toBeCloseTo(r.loss!, 5);
      }
    } finally {
      loader.dispose();
    }
  });
  it('fgsm: accuracy does not rise and loss rises with ε; bim with 3 steps of 2/255 reaches 6/255 at most, so larger ε change nothing', () => {
    const of = (a: string) => rob.results.filter((r) => r.attack === a);
    const f = of('fgsm');
    for (let i = 1; i < f.length; i++) {
      expect(f[i].acc, `fgsm ε #${i}`).toBeLessThanOrEqual(f[i - 1].acc);
      expect(f[i].loss!, `fgsm ε #${i}`).toBeGreaterThan(f[i - 1].loss!);
    }
    expect(f[f.length - 1].acc).toBeLessThan(f[0].acc - 0.2);
    // --steps 3 reached the attack: with the default 10 steps (20/255) ε = 8/255 and 0.1 would differ
    const b = of('bim').filter((r) => r.eps >= 8 / 255);
    expect(b.map((r) => [r.acc, r.loss])).toEqual(b.map(() => [b[0].acc, b[0].loss]));
    expect(b[0].loss!).toBeGreaterThan(of('bim')[0].loss!);
  });
  it('prints a progress line per (attack, ε) on stderr and the accuracy table on stdout', () => {
    const lines = res.err.split('\n').filter((l) => /ε=/.test(l));
    expect(lines).toHaveLength(1 + 3 * 4);
    expect(lines[0]).toMatch(/^clean ε=0: accuracy \d+\.\d\d% {2}loss \d+\.\d{4} {2}\(120 samples, \d+\.\d s\)$/);
    expect(lines[1]).toMatch(/^fgsm ε=2\/255: /);
    expect(res.out).toMatch(/^mnist test split \(120 samples\), mlp from .*: accuracy under attack\n/);
    expect(res.out).toMatch(/attack +ε=0 +ε=2\/255 +ε=8\/255 +ε=0\.1 +ε=0\.3\n/);
    const fgsm = rob.results.filter((r) => r.attack === 'fgsm').map((r) => `${(100 * r.acc).toFixed(2)}%`);
    expect(res.out).toMatch(new RegExp(`\\nfgsm +${fgsm.join(' +')}\\n`));
    expect(res.out).toContain(`robustness: ${path.join(runA, ROBUSTNESS_FILE)}`);
    expect(res.out).toContain(`report:     ${path.join(runA, 'report.html')}`);
  });
  it('report.html gains the robustness section', () => {
    const html = fs.readFileSync(path.join(runA, 'report.html'), 'utf8');
    expect(html).toContain('<h2>Robustness</h2>');
    expect(html).toContain('Accuracy under attack (test split)');
    const table = /<table class="robustness">([\s\S]*?)<\/table>/.exec(html)![1];
    expect((table.match(/<tr>/g) ?? []).length).toBe(4);
    expect(table).toContain(`<td>pgd</td><td>${(100 * rob.results.find((r) => r.eps === 0)!.acc).toFixed(2)}%</td>`);
  });
  it('--limit, --split train, --step-size and --json: the first N samples, equal to evaluateAttack with the same limit', async () => {
    const r = await cli([
      'attack',
      '--checkpoint',
      runB,
      '--attack',
      'PGD',
      '--eps',
      '0,4/255',
      '--limit',
      '70',
      '--step-size',
      '1/255',
      '--steps',
      '2',
      '--json',
    ]);
    expect(r.code, r.err).toBe(0);
    const j = parseRobustness(JSON.parse(r.out));
    expect(j).toEqual(readRob(runB));
    expect(j.n).toBe(70);
    expect(j.settings).toMatchObject({ steps: 2, stepSize: 1 / 255, limit: 70, seed: 0 });
    expect(j.results.map((x) => [x.attack, x.n])).toEqual([
      ['pgd', 70],
      ['pgd', 70],
    ]);
    const { model, loader } = modelAndLoader(runB);
    try {
      torch.manualSeed(0);
      const d = attacks.evaluateAttack(model, loader, { attack: 'pgd', eps: 4 / 255, steps: 2, alpha: 1 / 255, limit: 70, normalize: NORMALIZE.mnist });
      expect(d.acc).toBe(j.results[1].acc);
      const c = attacks.evaluateAttack(model, loader, { attack: 'pgd', eps: 0, limit: 70, normalize: NORMALIZE.mnist });
      expect(c.acc).toBe(j.results[0].acc);
    } finally {
      loader.dispose();
    }
    const t = await cli(['attack', '--checkpoint', runB, '--attack', 'fgsm', '--eps', '0', '--split', 'train', '--json']);
    expect(t.code, t.err).toBe(0);
    expect(JSON.parse(t.out)).toMatchObject({ split: 'train', n: 256 });
  });
  it('report --compare overlays both runs’ curves (one line per run × attack)', async () => {
    const r = await cli(['attack', '--checkpoint', runB, '--attack', 'fgsm,pgd', '--eps', '0,8/255,0.1', '--steps', '2']);
    expect(r.code, r.err).toBe(0);
    const file = path.join(root, 'compare.html');
    const c = await cli(['report', '--compare', runA, runB, '--out', file]);
    expect(c.code, c.err).toBe(0);
    const html = fs.readFileSync(file, 'utf8');
    const svg = (html.match(/<svg[\s\S]*?<\/svg>/g) ?? []).find((s) => s.includes('Accuracy under attack'))!;
    expect(svg).toBeDefined();
    // run A: 3 attacks; run B: 2 → 5 lines
    expect([...svg.matchAll(/<g class="mark-line role-mark[^"]*"[^>]*>/g)]).toHaveLength(5);
    expect(svg).toContain('none (erm)');
    expect(svg).toContain('mixup (mixup)');
  });
  // Last in this block: it replaces run A's robustness.json.
  it.skipIf(!torch.cuda.isAvailable())('--device cuda gives the CPU numbers (skipped: CUDA is not available here)', async () => {
    const r = await cli(['attack', '--checkpoint', runA, '--attack', 'fgsm', '--eps', '0,8/255,0.3', '--device', 'cuda', '--batch-size', '50', '--json']);
    expect(r.code, r.err).toBe(0);
    const g = parseRobustness(JSON.parse(r.out)).results;
    const cpu = rob.results.filter((x) => x.attack === 'fgsm' && [0, 8 / 255, 0.3].includes(x.eps));
    expect(g.map((x) => x.eps)).toEqual(cpu.map((x) => x.eps));
    g.forEach((x, i) => {
      expect(Math.abs(x.acc - cpu[i].acc)).toBeLessThanOrEqual(1 / 120 + 1e-12); // one sample's argmax at most
      expect(x.loss!).toBeCloseTo(cpu[i].loss!, 3);
    });
  });
});

describe('torchmix attack: bad flags exit with code 2 and name the flag', () => {
  const cases: [string[], RegExp][] = [
    [[], /--checkpoint: required/],
    [['--checkpoint', '/nonexistent/run'], /--checkpoint: '\/nonexistent\/run' does not exist/],
    [['--attack', 'fgsn'], /--attack: unknown attack 'fgsn' \(did you mean fgsm\?\) \(known: fgsm, bim, pgd, pgdl2\)/],
    [['--attack', 'fgsm,,pgd'], /--attack: unknown attack ''/],
    [['--eps', '0,abc'], /--eps: expected comma-separated numbers or fractions a\/b .*got 'abc' in '0,abc'/],
    [['--eps=-1/255'], /--eps: ε must be ≥ 0, got -1\/255/],
    [['--eps', '1/0'], /--eps: expected .*got '1\/0'/],
    [['--eps', ''], /--eps: expected .*got ''/],
    [['--limit', '0'], /--limit: expected a positive integer, got '0'/],
    [['--limit', '2.5'], /--limit: expected a positive integer, got '2.5'/],
    [['--steps=-1'], /--steps: expected an integer ≥ 0, got '-1'/],
    [['--steps', '0', '--attack', 'bim,pgd'], /--steps: 0 \(Kurakin's rule\) is for bim only; pgd need/],
    [['--step-size', '0'], /--step-size: expected a number > 0/],
    [['--split', 'val'], /--split: expected test or train, got 'val'/],
    [['--batch-size', 'x'], /--batch-size: expected a positive integer, got 'x'/],
    [['--seed=-3'], /--seed: expected an integer ≥ 0, got '-3'/],
    [['--epss', '0'], /--epss: unknown flag .*did you mean --eps\?/],
  ];
  for (const [argv, re] of cases)
    it(`torchmix attack ${argv.join(' ')}`, async () => {
      // A valid checkpoint first (a later --checkpoint wins), so a case that wrongly passed would attack.
      const base = argv.length === 0 || argv[0] === '--checkpoint' ? [] : ['--checkpoint', runA, '--eps', '0', '--limit', '10'];
      const r = await cli(['attack', ...base, ...argv]);
      expect(r.code, r.err).toBe(2);
      expect(r.err).toMatch(re);
      expect(r.err).toMatch(/^torchmix attack: error: /);
    });
  it.skipIf(torch.cuda.isAvailable())('--device cuda without CUDA is a usage error (skipped where CUDA is available)', async () => {
    const r = await cli(['attack', '--checkpoint', runA, '--device', 'cuda']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--device: CUDA is not available here/);
  });
  it('refuses a run on a 2-D toy set, naming the dataset', async () => {
    const out = path.join(root, 'moons');
    expect((await cli(['train', '--dataset', 'moons', '--epochs', '1', '--threads', '1', '--progress', 'none', '--out', out])).code).toBe(0);
    const r = await cli(['attack', '--checkpoint', out]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--checkpoint: the run was trained on moons, a 2-D toy set: its points are not pixels in \[0, 1\]/);
    expect(fs.existsSync(path.join(out, ROBUSTNESS_FILE))).toBe(false);
  });
  it('parseEpsList reads decimals and fractions, sorted, without repeats', () => {
    expect(parseEpsList('8/255, 0,1/255,0.5,2e-2,8/255')).toEqual([0, 1 / 255, 2e-2, 8 / 255, 0.5]);
  });
  it('--help lists the flags and says what happens with toy sets', async () => {
    const r = await cli(['attack', '--help']);
    expect(r.code).toBe(0);
    for (const f of [
      '--checkpoint',
      '--attack',
      '--eps',
      '--steps',
      '--step-size',
      '--split',
      '--limit',
      '--seed',
      '--batch-size',
      '--threads',
      '--device',
      '--json',
    ])
      expect(r.out).toContain(f);
    expect(r.out).toMatch(/toy sets .* are refused/s);
    const top = await cli(['--help']);
    expect(top.out).toMatch(/\n {2}attack {4}accuracy of a run's model under FGSM\/BIM\/PGD/);
  });
});
