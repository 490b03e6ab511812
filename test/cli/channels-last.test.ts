// `torchmix train --channels-last`: conv models train with NHWC weights, results.json records it,
// resuming is bit-for-bit (a straight 2-epoch run equals 1 epoch + --resume), a contiguous run
// resumes channels-last, and an MLP (toy sets) is refused with a message saying why.
import { describe, it, expect, beforeAll } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { cli, tmp } from '../helpers/cli.js';
import { writeSyntheticMnist } from '../report/synthetic.js';

let dir: string;
beforeAll(() => {
  dir = writeSyntheticMnist(tmp('fmnist-cl'), 300, 20);
});

// A constant lr: a cosine schedule spans --epochs, so 1 epoch + resume to 2 would be another recipe than 2 straight.
const base = () => [
  'train',
  '--dataset',
  'fashion-mnist',
  '--data-dir',
  dir,
  '--model',
  'small-cnn',
  '--batch-size',
  '50',
  '--threads',
  '1',
  '--progress',
  'none',
  '--method',
  'mixup',
  '--schedule',
  'none',
];
type Results = { config: Record<string, unknown>; history: { epochs: { trainLoss: number; valLoss: number; valAcc: number }[] } };
const results = (out: string) => JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')) as Results;

describe('torchmix train --channels-last', () => {
  it('trains a conv model channels-last, records it, and resumes bit-for-bit', async () => {
    const straight = path.join(tmp('cl-straight'), 'run');
    const r = await cli([...base(), '--channels-last', '--epochs', '2', '--out', straight]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/small-cnn channels-last \(/);
    const a = results(straight);
    expect(a.config.channelsLast).toBe(true);
    expect(a.history.epochs).toHaveLength(2);
    for (const e of a.history.epochs) expect(Number.isFinite(e.trainLoss)).toBe(true);

    const split = path.join(tmp('cl-split'), 'run');
    expect((await cli([...base(), '--channels-last', '--epochs', '1', '--out', split])).code).toBe(0);
    // the saved config carries the flag: --resume alone continues channels-last
    const more = await cli(['train', '--resume', '--out', split, '--epochs', '2', '--progress', 'none']);
    expect(more.code, more.err).toBe(0);
    expect(more.err).toMatch(/small-cnn channels-last \(/);
    const b = results(split);
    expect(b.config.channelsLast).toBe(true);
    expect(b.history.epochs.map((e) => [e.trainLoss, e.valLoss, e.valAcc])).toEqual(a.history.epochs.map((e) => [e.trainLoss, e.valLoss, e.valAcc]));
  });
  it('a contiguous run resumes with --channels-last (weights load into the NHWC model)', async () => {
    const out = path.join(tmp('cl-switch'), 'run');
    expect((await cli([...base(), '--epochs', '1', '--out', out])).code).toBe(0);
    const first = results(out);
    expect(first.config.channelsLast).toBeUndefined();
    const r = await cli(['train', '--resume', '--out', out, '--epochs', '2', '--channels-last', '--progress', 'none']);
    expect(r.code, r.err).toBe(0);
    const res = results(out);
    expect(res.config.channelsLast).toBe(true);
    expect(res.history.epochs).toHaveLength(2);
    expect(res.history.epochs[0]).toEqual(first.history.epochs[0]);
    // it continued from the trained weights, not from scratch: epoch 2 starts below epoch 1's loss
    expect(res.history.epochs[1].trainLoss).toBeLessThan(res.history.epochs[0].trainLoss);
  });
  it('is refused for the MLP (toy sets), saying why', async () => {
    for (const argv of [
      ['--dataset', 'moons'],
      ['--dataset', 'fashion-mnist', '--data-dir', dir, '--model', 'mlp'],
    ]) {
      const r = await cli(['train', ...argv, '--channels-last', '--epochs', '1', '--progress', 'none', '--out', path.join(tmp('cl-bad'), 'run')]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(
        /--channels-last: channels-last applies to conv models \(small-cnn, preact-resnet18\/34, wide-resnet\); the mlp.* has no 4-D weights/,
      );
    }
  });
  it('is listed in train --help', async () => {
    expect((await cli(['train', '--help'])).out).toMatch(/--channels-last\s+conv models: weights in channels-last/);
  });
});
