// `torchmix train --method mixmatch|ict --labels N`: the SSL flags (validation, exit code 2 naming the
// flag), their mapping to the methods' options, the recipe defaults, and end-to-end runs on two moons
// whose results.json names the split and whose per-epoch ramp weights follow the configured ramps.
import { describe, it, expect } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { cli, tmp } from '../helpers/cli.js';
import { trainConfigFromArgs } from '../../lib/cli/train.js';
import { buildMethod } from '../../lib/cli/build.js';
import type { TrainConfig } from '../../lib/cli/config.js';

const readJson = (f: string) => JSON.parse(fs.readFileSync(f, 'utf8'));
const cfgOf = (argv: string[]) => trainConfigFromArgs(argv) as TrainConfig;

describe('torchmix train: semi-supervised flags are validated (exit code 2, the flag named)', () => {
  const cases: [string[], RegExp][] = [
    [['--method', 'mixmatch'], /--labels: method 'mixmatch' is semi-supervised: give the number of labeled images with --labels N/],
    [['--method', 'ict', '--labels', '11'], /--labels: 11 labels cannot be split evenly over the 2 classes; use a multiple of 2/],
    [
      ['--method', 'ict', '--labels', '1000'],
      /--labels: 1000 labels means 500 per class, but class \d has only \d+ train samples \(at least one must stay unlabeled\)/,
    ],
    [['--method', 'ict', '--labels', '0'], /--labels: expected a positive integer, got 0/],
    [['--method', 'ict', '--labels', '10', '--views', '3'], /--views: only applies to mixmatch, not 'ict' \(ict uses one augmented view/],
    [['--method', 'ict', '--labels', '10', '--temperature', '0.5'], /--temperature: only applies to mixmatch, not 'ict'/],
    [['--method', 'mixup', '--lambda-u', '10'], /--lambda-u: only applies to the semi-supervised methods \(mixmatch, ict\), not 'mixup'/],
    [['--method', 'none', '--labels', '10', '--unlabeled-batch-size', '8'], /--unlabeled-batch-size: only applies to the semi-supervised methods/],
    [['--method', 'mixmatch', '--labels', '10', '--temperature', '0'], /--temperature: expected a number > 0, got 0/],
    [['--method', 'mixmatch', '--labels', '10', '--views', '1.5'], /--views: expected a positive integer, got 1.5/],
    [['--method', 'mixmatch', '--labels', '10', '--lambda-u=-1'], /--lambda-u: expected a number ≥ 0, got -1/],
    [['--steps-per-epoch', '5'], /--steps-per-epoch: only applies with --labels/],
    [['--dataset', 'fashion-mnist', '--jitter', '0.1'], /--jitter: jitter is for the 2-D toy sets/],
  ];
  for (const [argv, re] of cases)
    it(`torchmix train ${argv.join(' ')}`, async () => {
      const r = await cli(['train', '--dataset', 'moons', '--out', tmp('bad'), '--progress', 'none', '--epochs', '1', ...argv]);
      expect(r.code, r.err).toBe(2);
      expect(r.err).toMatch(re);
    });

  it('recipe defaults per method (ALGORITHMS.md) apply only to what the user left unset; --help documents them', async () => {
    expect(cfgOf(['--method', 'mixmatch', '--labels', '1000'])).toMatchObject({
      optimizer: 'adam',
      lr: 0.002,
      batchSize: 64,
      schedule: 'none',
      weightDecay: 0.02,
    });
    expect(cfgOf(['--method', 'ict', '--labels', '1000'])).toMatchObject({ optimizer: 'sgd', lr: 0.1, batchSize: 100, schedule: 'cosine', weightDecay: 1e-4 });
    expect(cfgOf(['--method', 'mixmatch', '--labels', '1000', '--lr', '0.01', '--batch-size', '32'])).toMatchObject({
      optimizer: 'adam',
      lr: 0.01,
      batchSize: 32,
      weightDecay: 0.02,
    });
    // another optimizer than the recipe's: that optimizer's usual defaults
    expect(cfgOf(['--method', 'mixmatch', '--labels', '1000', '--optimizer', 'sgd'])).toMatchObject({ optimizer: 'sgd', lr: 0.05, weightDecay: 1e-4 });
    expect(cfgOf(['--method', 'none', '--labels', '1000'])).toMatchObject({ optimizer: 'sgd', lr: 0.05, batchSize: 128 });
    const h = await cli(['train', '--help']);
    for (const flag of [
      '--labels N',
      '--unlabeled-batch-size N',
      '--lambda-u N',
      '--rampup N',
      '--temperature N',
      '--views N',
      '--steps-per-epoch N',
      '--jitter N',
      '--ema N',
    ])
      expect(h.out).toContain(flag);
    expect(h.out).toContain('mixmatch: Adam lr 0.002');
    expect(h.out).toContain('ict:      SGD lr 0.1');
  });

  it('each flag sets its method option (one table), over methodOptions from a config file', () => {
    const f = path.join(tmp('cfg'), 'run.yaml');
    fs.writeFileSync(f, 'methodOptions:\n  lambdaU: 5\n  mode: batch\n');
    const mm = buildMethod(
      cfgOf([
        '--config',
        f,
        '--method',
        'mixmatch',
        '--labels',
        '10',
        '--lambda-u',
        '30',
        '--rampup',
        '40',
        '--temperature',
        '0.3',
        '--views',
        '3',
        '--ema',
        '0.9',
        '--alpha',
        '0.5',
      ]),
    );
    expect(mm.method.options).toMatchObject({ lambdaU: 30, rampupSteps: 40, temperature: 0.3, views: 3, ema: 0.9, alpha: 0.5, mode: 'batch' });
    const ict = buildMethod(cfgOf(['--method', 'ict', '--labels', '10', '--lambda-u', '7', '--rampup', '2.5', '--ema', '0.99']));
    expect(ict.method.options).toMatchObject({ lambdaU: 7, rampupEpochs: 2.5, ema: 0.99, alpha: 1, alphaU: 1 });
    // --alpha sets ICT's α and α_u (as semisup.py --alpha)
    expect(buildMethod(cfgOf(['--method', 'ict', '--labels', '10', '--alpha', '0.1'])).method.options).toMatchObject({ alpha: 0.1, alphaU: 0.1 });
    // --rampup for mixmatch counts steps: a fraction is refused by the method, named by the flag layer
    expect(() => buildMethod(cfgOf(['--method', 'mixmatch', '--labels', '10', '--rampup', '2.5']))).toThrow(/rampupSteps/);
  });
});

describe('torchmix train --labels on two moons (end to end)', () => {
  const toy = (dir: string, n: number) => {
    const f = path.join(dir, 'toy.yaml');
    fs.writeFileSync(f, `toy:\n  n: ${n}\n  nTest: 200\n`);
    return f;
  };
  /** Mean over an epoch's steps i = 0..S−1 (global iteration e·S + i) of f(iteration). */
  const epochMean = (e: number, S: number, f: (it: number) => number) => Array.from({ length: S }, (_, i) => f(e * S + i)).reduce((a, b) => a + b, 0) / S;

  it('mixmatch: results.json names the split, epochs carry both losses and the linear ramp weight; report.html shows them', async () => {
    const dir = tmp('mixmatch');
    const out = path.join(dir, 'run');
    const r = await cli([
      'train',
      '--config',
      toy(dir, 210),
      '--dataset',
      'moons',
      '--method',
      'mixmatch',
      '--labels',
      '10',
      '--epochs',
      '3',
      '--batch-size',
      '16',
      '--lambda-u',
      '30',
      '--rampup',
      '20',
      '--views',
      '3',
      '--threads',
      '1',
      '--out',
      out,
      '--progress',
      'none',
    ]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain('split: 10 labeled (5 per class, seed 0) + 200 unlabeled, 12 steps per epoch');
    const res = readJson(path.join(out, 'results.json'));
    expect(res.split).toEqual({ labels: 10, labelsPerClass: 5, labeled: 10, unlabeled: 200, unlabeledUsed: true, seed: 0, stepsPerEpoch: 12 });
    const epochs = res.history.epochs as { method: { supLoss: number; unsupLoss: number; weight: number } }[];
    expect(epochs).toHaveLength(3);
    epochs.forEach((e, k) => {
      expect(e.method.weight).toBeCloseTo(
        epochMean(k, 12, (it) => 30 * Math.min(1, it / 20)),
        10,
      );
      expect(e.method.supLoss).toBeGreaterThan(0);
      expect(e.method.unsupLoss).toBeGreaterThan(0);
    });
    const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(html).toContain('<td>10</td><td>5</td><td>10</td><td>200</td><td>0</td><td>12</td>');
    expect(html).toContain('Supervised and unsupervised loss per epoch');
    expect(html).toContain('Ramp-up of the unlabeled weight');
    expect(fs.existsSync(path.join(out, 'decision-boundary.svg'))).toBe(true);
  });

  it('ict: the sigmoid ramp over --rampup epochs; the supervised-only baseline on the same split trains on the labels alone', async () => {
    const dir = tmp('ict');
    const cfg = toy(dir, 210);
    const out = path.join(dir, 'ict');
    const r = await cli([
      'train',
      '--config',
      cfg,
      '--dataset',
      'moons',
      '--method',
      'ict',
      '--labels',
      '10',
      '--epochs',
      '2',
      '--batch-size',
      '10',
      '--unlabeled-batch-size',
      '40',
      '--lambda-u',
      '10',
      '--rampup',
      '1',
      '--threads',
      '1',
      '--out',
      out,
      '--progress',
      'none',
    ]);
    expect(r.code, r.err).toBe(0);
    const res = readJson(path.join(out, 'results.json'));
    expect(res.split).toMatchObject({ labels: 10, unlabeled: 200, unlabeledUsed: true, stepsPerEpoch: 5 });
    const w = (res.history.epochs as { method: { weight: number } }[]).map((e) => e.method.weight);
    expect(w[0]).toBeCloseTo(
      epochMean(0, 5, (it) => 10 * Math.exp(-5 * (1 - it / 5) ** 2)),
      10,
    );
    expect(w[1]).toBe(10);
    const base = path.join(dir, 'none');
    const b = await cli([
      'train',
      '--config',
      cfg,
      '--dataset',
      'moons',
      '--method',
      'none',
      '--labels',
      '10',
      '--epochs',
      '2',
      '--batch-size',
      '10',
      '--threads',
      '1',
      '--out',
      base,
      '--progress',
      'none',
    ]);
    expect(b.code, b.err).toBe(0);
    expect(b.err).toContain('+ 200 unlabeled (not used: supervised only), 20 steps per epoch');
    const rb = readJson(path.join(base, 'results.json'));
    expect(rb.split).toEqual({ labels: 10, labelsPerClass: 5, labeled: 10, unlabeled: 200, unlabeledUsed: false, seed: 0, stepsPerEpoch: 20 });
    expect(rb.history.epochs[0].method).toBeUndefined();
    expect(fs.readFileSync(path.join(base, 'report.html'), 'utf8')).toContain('(not used: supervised only)');
  });
});
