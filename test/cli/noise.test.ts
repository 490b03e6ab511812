// `torchmix train --label-noise P --label-noise-mode symmetric|asymmetric --train-size N`: the flags,
// their errors, and what results.json records (mode, map, the measured fraction of wrong labels).
import { describe, it, expect, beforeAll } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { cli, tmp } from '../helpers/cli.js';
import { writeSyntheticMnist } from '../report/synthetic.js';

let dir: string;
beforeAll(() => {
  dir = writeSyntheticMnist(tmp('fmnist'), 300, 20); // Fashion-MNIST's file format; 30 train images per class
});

const base = () => ['train', '--dataset', 'fashion-mnist', '--data-dir', dir, '--epochs', '1', '--batch-size', '50', '--threads', '1', '--progress', 'none'];
const results = (out: string) => JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')) as Record<string, unknown>;

describe('torchmix train: label noise and --train-size', () => {
  it('asymmetric noise on a 100-image stratified subset: exactly the mapped pairs, rate measured and recorded', async () => {
    const out = path.join(tmp('asym'), 'run');
    const r = await cli([...base(), '--method', 'none', '--train-size', '100', '--label-noise', '0.5', '--label-noise-mode', 'asymmetric', '--out', out]);
    expect(r.code, r.err).toBe(0);
    // 10 per class; the map moves round(0.5·10) = 5 of each of its 6 classes: 30 of 100 wrong
    expect(r.err).toMatch(/fashion-mnist: 100 train \/ 20 test samples, 30\.0% train labels wrong \(asymmetric noise 0\.5\)/);
    const res = results(out);
    expect(res.labelNoise).toEqual({ fraction: 0.5, mode: 'asymmetric', rate: 0.3, mapping: { 0: 6, 6: 0, 2: 4, 4: 2, 7: 9, 9: 7 }, seed: 0 });
    expect((res.config as Record<string, unknown>).trainSize).toBe(100);
    expect(fs.readFileSync(path.join(out, 'config.json'), 'utf8')).toMatch(/"labelNoiseMode": "asymmetric"/);
  });

  it('symmetric noise (the default mode): round(P·N) labels redrawn over all classes, the measured rate below P', async () => {
    const out = path.join(tmp('sym'), 'run');
    const r = await cli([...base(), '--method', 'mixup', '--label-noise', '0.8', '--seed', '3', '--out', out]);
    expect(r.code, r.err).toBe(0);
    const info = results(out).labelNoise as { fraction: number; mode: string; rate: number };
    expect(info.mode).toBe('symmetric');
    expect(info.fraction).toBe(0.8);
    // 240 redrawn, each keeps its class with probability 1/10: wrong ~ 240 − Bin(240, 0.1) = 216 ± 4.6
    expect(Math.abs(info.rate * 300 - 216)).toBeLessThanOrEqual(5 * Math.sqrt(240 * 0.1 * 0.9));
    expect(r.err).toMatch(/300 train \/ 20 test samples, \d+\.\d% train labels wrong \(symmetric noise 0\.8\)/);
  });

  it('no noise: results.json has no labelNoise entry', async () => {
    const out = path.join(tmp('clean'), 'run');
    const r = await cli([...base(), '--method', 'none', '--train-size', '50', '--out', out]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/50 train \/ 20 test samples \(loaded/);
    expect(results(out).labelNoise).toBeUndefined();
  });

  it.each([
    [['--label-noise-mode', 'asymmetric'], /--label-noise-mode: only applies with --label-noise P/],
    [['--label-noise', '0.2', '--label-noise-mode', 'pairflip'], /--label-noise-mode: expected one of symmetric, asymmetric, got 'pairflip'/],
    [['--train-size', '0'], /--train-size: expected a positive integer, got 0/],
    [['--train-size', '300'], /--train-size: the training set has 300 images; give fewer than that, got 300/],
    [['--train-size', '100', '--labels', '20'], /--train-size: cannot be combined with --labels/],
  ])('refuses %j naming the flag', async (flags, re) => {
    const r = await cli([...base(), '--method', 'none', ...flags, '--out', path.join(tmp('bad'), 'run')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(re);
  });

  it('refuses asymmetric noise on a dataset without a map, naming it and the ones with a map', async () => {
    const r = await cli(['train', '--dataset', 'moons', '--label-noise', '0.2', '--label-noise-mode', 'asymmetric', '--out', path.join(tmp('moons'), 'run')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--label-noise-mode: 'moons' has no asymmetric noise map \(datasets with one: fashion-mnist, mnist, cifar10\)/);
  });
});
