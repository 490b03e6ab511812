// torchmix CLI: flag and config validation (exit code 2, the message names the flag or file key),
// config precedence, `methods`, `--help`, and (when lib/train is there) a real two-moons run + eval.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { torch, mixup } from '../../lib/index.js';
import { cli, tmp } from '../helpers/cli.js';
import { trainConfigFromArgs } from '../../lib/cli/train.js';
import { suggest } from '../../lib/cli/args.js';

describe('torchmix train: bad flags exit with code 2 and name the flag', () => {
  const cases: [string[], RegExp][] = [
    [['--lrr', '0.1'], /--lrr: unknown flag .*did you mean --lr\?/],
    [['--batchsize', '64'], /--batchsize: unknown flag .*did you mean --batch-size\?/],
    [['--dataset', 'fashionmnist'], /--dataset: expected one of fashion-mnist, mnist, .*got 'fashionmnist'/],
    [['--batch-size', '0'], /--batch-size: expected a positive integer, got 0/],
    [['--epochs', 'ten'], /--epochs: expected a positive integer, got 'ten'/],
    [['--lr', '-1'], /--lr/],
    [['--lr=-1'], /--lr: expected a number > 0, got -1/],
    [['--label-noise', '1.5'], /--label-noise: expected a fraction in \[0, 1\), got 1.5/],
    [['--val-split', '1'], /--val-split: expected a fraction in \(0, 1\)/],
    [['--optimizer', 'adagrad'], /--optimizer: expected one of sgd, adam, adamw, rmsprop/],
    [['--schedule', 'linear'], /--schedule: expected one of none, step, multistep, cosine, onecycle/],
    [['--device', 'tpu'], /--device: expected cpu, cuda or cuda:N, got 'tpu'/],
    [['--progress', 'fancy'], /--progress: expected one of auto, bar, lines, none/],
    [['--method', 'mixupp'], /--method: unknown method 'mixupp' \(did you mean mixup\?\)/],
    [['--method', 'none', '--alpha', '1'], /--alpha: method 'none' has no alpha/],
    [['--method', 'adamixup', '--alpha', '1'], /--alpha: method 'adamixup' has no alpha \(its λ comes from its own policy\)/],
    [['--dataset', 'moons', '--model', 'small-cnn'], /--model: the toy set 'moons' has 2-D points; only mlp fits/],
    [['--optimizer', 'adam', '--momentum', '0.9'], /--momentum: the adam optimizer has no momentum/],
    [['--schedule', 'onecycle', '--warmup-epochs', '2'], /--warmup-epochs: onecycle has its own warmup/],
    [['--resume'], /--resume: give the run folder to continue with --out DIR/],
    [['--dataset', 'mnist'], /--data-dir: the mnist dataset needs --data-dir/],
    [['--dataset', 'cifar10', '--data-dir', '/nonexistent/cifar'], /--data-dir: /],
    [['--config', '/nonexistent/run.yaml'], /--config: cannot read '\/nonexistent\/run.yaml'/],
    [['extra'], /unexpected argument 'extra'/],
  ];
  for (const [argv, re] of cases)
    it(`torchmix train ${argv.join(' ')}`, async () => {
      // Harmless defaults first (later flags win), so a case that wrongly passed would train briefly.
      const base = argv.includes('--resume') ? [] : ['--out', tmp('bad'), '--progress', 'none', '--epochs', '1'];
      const r = await cli(['train', ...base, ...argv]);
      expect(r.code, r.err).toBe(2);
      expect(r.err).toMatch(re);
      expect(r.err).toMatch(/^torchmix train: error: /);
    });
  it.skipIf(torch.cuda.isAvailable())('--device cuda without CUDA is a usage error (skipped where CUDA is available)', async () => {
    const r = await cli(['train', '--device', 'cuda', '--dataset', 'moons', '--out', tmp('cuda')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--device: CUDA is not available here/);
  });
  it('an unknown command gets a suggestion and code 2', async () => {
    const r = await cli(['trian']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown command 'trian' \(did you mean train\?\)/);
  });
  it('suggest() only offers close names', () => {
    expect(suggest('wieght-decay', ['weight-decay', 'warmup-epochs'])).toBe('weight-decay');
    expect(suggest('zzzzzz', ['lr', 'seed'])).toBeUndefined();
  });
});

describe('torchmix train: config files (JSON and YAML) and precedence', () => {
  const now = new Date('2024-05-06T07:08:09Z');
  it('defaults depend on the dataset', () => {
    const a = trainConfigFromArgs(['--dataset', 'moons'], now);
    const b = trainConfigFromArgs(['--dataset', 'cifar10', '--data-dir', '/x'], now);
    const c = trainConfigFromArgs([], now);
    if (a === 'help' || b === 'help' || c === 'help') throw new Error('help');
    expect([a.model, b.model, c.model]).toEqual(['mlp', 'preact-resnet18', 'small-cnn']);
    expect([a.lr, b.lr, c.lr]).toEqual([0.05, 0.1, 0.05]);
    expect(c.out).toBe(path.join('runs', 'fashion-mnist-mixup-20240506-070809'));
    const d = trainConfigFromArgs(['--optimizer', 'adam'], now);
    expect(d !== 'help' && d.lr).toBe(1e-3);
  });
  it('reads JSON; flags override the file; the file overrides the defaults', () => {
    const dir = tmp('json');
    const f = path.join(dir, 'run.json');
    fs.writeFileSync(f, JSON.stringify({ dataset: 'moons', method: 'manifold', alpha: 0.5, epochs: 7, 'batch-size': 32, methodOptions: { mode: 'elem' } }));
    const c = trainConfigFromArgs(['--config', f, '--epochs', '3', '--seed', '4'], now);
    if (c === 'help') throw new Error('help');
    expect(c).toMatchObject({
      dataset: 'moons',
      method: 'manifold',
      alpha: 0.5,
      epochs: 3,
      batchSize: 32,
      seed: 4,
      model: 'mlp',
      methodOptions: { mode: 'elem' },
    });
  });
  it('reads YAML the same way', () => {
    const dir = tmp('yaml');
    const f = path.join(dir, 'run.yaml');
    fs.writeFileSync(f, 'dataset: spirals\nmethod: cutmix\nlr: 0.01\noptimizer: adamw\nweightDecay: 0.05\nlabelNoise: 0.2\ntoy:\n  n: 200\n  noise: 0.1\n');
    const c = trainConfigFromArgs(['--config', f, '--lr', '0.02'], now);
    if (c === 'help') throw new Error('help');
    expect(c).toMatchObject({
      dataset: 'spirals',
      method: 'cutmix',
      lr: 0.02,
      optimizer: 'adamw',
      weightDecay: 0.05,
      labelNoise: 0.2,
      toy: { n: 200, noise: 0.1 },
    });
  });
  it('names the file and key of a bad value, and of an unknown key', async () => {
    const dir = tmp('badcfg');
    const f = path.join(dir, 'bad.yaml');
    fs.writeFileSync(f, 'dataset: moons\nepochs: -3\n');
    let r = await cli(['train', '--config', f]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/bad\.yaml: epochs: expected a positive integer, got -3/);
    fs.writeFileSync(f, 'dataset: moons\nlearningRate: 0.1\n');
    r = await cli(['train', '--config', f]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/bad\.yaml: unknown setting 'learningRate'/);
    fs.writeFileSync(f, 'dataset: [moons\n');
    r = await cli(['train', '--config', f]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--config: '.*bad\.yaml' is not valid YAML/);
    fs.writeFileSync(f, 'toy: { n: 0 }\ndataset: moons\n');
    r = await cli(['train', '--config', f]);
    expect(r.err).toMatch(/bad\.yaml: toy\.n: expected a positive integer, got 0/);
    // a flag fixing the file's bad value wins
    fs.writeFileSync(f, 'dataset: moons\nepochs: -3\n');
    expect(() => trainConfigFromArgs(['--config', f, '--epochs', '2'])).not.toThrow();
  });
  it('bad method options from the file name methodOptions', async () => {
    const f = path.join(tmp('mopt'), 'm.json');
    fs.writeFileSync(f, JSON.stringify({ dataset: 'moons', method: 'mixup', methodOptions: { mode: 'sideways' } }));
    const r = await cli(['train', '--config', f, '--out', tmp('mopt-out')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/methodOptions: .*mode/);
  });
});

describe('torchmix methods and --help', () => {
  it('lists every method with its defaults and description', async () => {
    const r = await cli(['methods']);
    expect(r.code).toBe(0);
    const all = mixup.methods();
    for (const [name, defaults] of Object.entries(all)) {
      expect(r.out).toMatch(new RegExp(`^${name}\\s+${mixup.descriptions[name as keyof typeof all].slice(0, 10).replace(/[()]/g, '.')}`, 'm'));
      for (const k of Object.keys(defaults)) expect(r.out).toContain(`${k}=`);
    }
    expect(r.out).toMatch(/^manifold[\s\S]*?alpha=2\s+layers=\[0, 1, 2\]/m);
    const j = await cli(['methods', '--json']);
    expect(JSON.parse(j.out)).toEqual(all);
  });
  for (const argv of [['--help'], ['train', '--help'], ['eval', '--help'], ['methods', '--help'], ['report', '--help'], ['help', 'train']])
    it(`torchmix ${argv.join(' ')}`, async () => {
      const r = await cli(argv);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^Usage: torchmix/);
    });
  it('train --help lists every train flag', async () => {
    const r = await cli(['train', '--help']);
    for (const f of [
      '--dataset',
      '--data-dir',
      '--model',
      '--method',
      '--alpha',
      '--epochs',
      '--batch-size',
      '--lr',
      '--optimizer',
      '--momentum',
      '--weight-decay',
      '--schedule',
      '--warmup-epochs',
      '--device',
      '--seed',
      '--threads',
      '--label-noise',
      '--val-split',
      '--out',
      '--resume',
      '--progress',
      '--config',
    ])
      expect(r.out).toContain(f);
  });
  it('eval without --checkpoint, or with a folder that is not a run, is a usage error', async () => {
    let r = await cli(['eval']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--checkpoint: required/);
    r = await cli(['eval', '--checkpoint', tmp('empty')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--checkpoint: no checkpoint.safetensors in/);
  });
});

const hasTrainer = fs.existsSync(path.resolve('lib/train/index.ts'));
const launcher = (args: string[]) =>
  spawnSync(process.execPath, ['scripts/torchmix.mjs', ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, TORCHMIX_CLI: 'source' } });

describe.skipIf(!hasTrainer)('end to end through the bin launcher (skipped without lib/train)', () => {
  it('trains two moons with mixup, writes results.json + report.html, then eval reproduces the test accuracy', () => {
    const out = path.join(tmp('e2e'), 'run');
    const r = launcher(['train', '--dataset', 'moons', '--method', 'mixup', '--epochs', '3', '--out', out, '--progress', 'lines']);
    expect(r.status, r.stderr).toBe(0);
    for (const f of ['results.json', 'report.html', 'config.json', 'checkpoint.safetensors', 'log.jsonl', 'decision-boundary.svg'])
      expect(fs.existsSync(path.join(out, f)), f).toBe(true);
    expect(r.stdout).toMatch(/test accuracy: \d+\.\d\d%/);
    expect(r.stdout).toContain(`results: ${path.join(out, 'results.json')}`);
    expect(r.stdout).toContain(`report:  ${path.join(out, 'report.html')}`);
    const res = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));
    expect(res.history.epochs).toHaveLength(3);
    expect(res.config.method).toBe('mixup');
    const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('Decision boundary');
    const e = launcher(['eval', '--checkpoint', out, '--json']);
    expect(e.status, e.stderr).toBe(0);
    const m = JSON.parse(e.stdout);
    expect(m.n).toBe(1000);
    expect(m.acc).toBeCloseTo(res.history.epochs[2].valAcc, 6);
    expect(m.loss).toBeCloseTo(res.history.epochs[2].valLoss, 4);
    // the same --out again without --resume is refused
    const again = launcher(['train', '--dataset', 'moons', '--epochs', '1', '--out', out]);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/--out: .* already holds a run; add --resume/);
    // --resume continues from the checkpoint with the saved config
    const more = launcher(['train', '--resume', '--out', out, '--epochs', '4', '--progress', 'none']);
    expect(more.status, more.stderr).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')).history.epochs).toHaveLength(4);
  });
  it('trains two moons with AdaMixup: the learned λ region per epoch in the log, results and report; resume', () => {
    const out = path.join(tmp('e2e-ada'), 'run');
    const r = launcher(['train', '--dataset', 'moons', '--method', 'adamixup', '--epochs', '3', '--out', out, '--progress', 'lines']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/adamixup's own: [\d,]+\)/);
    expect(r.stdout.match(/^epoch .*λ∈\[0\.\d\d, [01]\.\d\d\] intrusion_acc \d+\.\d\d%/gm)).toHaveLength(3);
    const res = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));
    for (const e of res.history.epochs) {
      expect(e.method.alphaMean).toBeGreaterThanOrEqual(0);
      expect(e.method.alphaMean + e.method.deltaMean).toBeLessThanOrEqual(1);
      expect(e.method.lamHist).toHaveLength(20);
    }
    const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(html).toContain('Learned mixing policy (AdaMixup)');
    expect(html).toContain('Learned λ region');
    const meta = JSON.parse(fs.readFileSync(path.join(out, 'checkpoint.json'), 'utf8'));
    expect(meta.method.keys).toContain('generatorHead.1.weight');
    const more = launcher(['train', '--resume', '--out', out, '--epochs', '4', '--progress', 'none']);
    expect(more.status, more.stderr).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')).history.epochs).toHaveLength(4);
  });
  it('a validation split reports validation and test accuracy; label noise is applied', async () => {
    const out = path.join(tmp('val'), 'run');
    const r = await cli([
      'train',
      '--dataset',
      'blobs',
      '--method',
      'none',
      '--epochs',
      '2',
      '--val-split',
      '0.2',
      '--label-noise',
      '0.2',
      '--out',
      out,
      '--progress',
      'none',
    ]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/800 train \/ 200 validation samples, \d+\.\d% train labels wrong \(symmetric noise 0\.\d+\)/);
    expect(r.out).toMatch(/validation accuracy: /);
    expect(r.out).toMatch(/test accuracy: /);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')).test.acc).toBeGreaterThan(0);
  });
});
