// `torchmix train` plug-in flags: --ema, --early-stop/--monitor, --clip-grad (validation, what the
// run writes and prints, resume) and the divergence guard's error and exit code.
import { describe, it, expect } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { train } from '../../lib/index.js';
import { cli, tmp } from '../helpers/cli.js';
import { trainConfigFromArgs } from '../../lib/cli/train.js';

const readJson = (f: string) => JSON.parse(fs.readFileSync(f, 'utf8'));

describe('torchmix train: plug-in flags are validated (exit code 2, the flag named)', () => {
  const cases: [string[], RegExp][] = [
    [['--ema', '1.5'], /--ema: expected a decay in \(0, 1\), got 1.5/],
    [['--ema', 'high'], /--ema: expected a decay in \(0, 1\), got 'high'/],
    [['--early-stop', '0'], /--early-stop: expected a positive integer, got 0/],
    [['--early-stop', '3', '--monitor', 'acc'], /--monitor: expected one of valAcc, valLoss, got 'acc'/],
    [['--monitor', 'valAcc'], /--monitor: only applies with --early-stop/],
    [['--clip-grad=-1'], /--clip-grad: expected a number > 0, got -1/],
  ];
  for (const [argv, re] of cases)
    it(`torchmix train ${argv.join(' ')}`, async () => {
      const r = await cli(['train', '--dataset', 'moons', '--out', tmp('bad'), '--progress', 'none', '--epochs', '1', ...argv]);
      expect(r.code, r.err).toBe(2);
      expect(r.err).toMatch(re);
    });
  it('config files take the same keys; --help lists the flags', async () => {
    const f = path.join(tmp('cfg'), 'run.yaml');
    fs.writeFileSync(f, 'dataset: moons\nema: 0.99\nearlyStop: 4\nmonitor: valAcc\nclip-grad: 2\n');
    const c = trainConfigFromArgs(['--config', f]);
    expect(c).toMatchObject({ ema: 0.99, earlyStop: 4, monitor: 'valAcc', clipGrad: 2 });
    const h = await cli(['train', '--help']);
    for (const flag of ['--ema N', '--early-stop N', '--monitor VALUE', '--clip-grad N']) expect(h.out).toContain(flag);
  });
});

describe('torchmix train with plug-ins (two moons)', () => {
  it('--ema reports validation and test for the EMA model; --early-stop stops and says why; --clip-grad; resume', async () => {
    const out = path.join(tmp('plugins'), 'run');
    const r = await cli([
      'train',
      '--dataset',
      'moons',
      '--out',
      out,
      '--progress',
      'lines',
      '--epochs',
      '40',
      '--val-split',
      '0.2',
      '--ema',
      '0.9',
      '--early-stop',
      '2',
      '--monitor',
      'valAcc',
      '--clip-grad',
      '1',
      '--lr',
      '0.2',
    ]);
    expect(r.code, r.err).toBe(0);
    const res = readJson(path.join(out, 'results.json'));
    const epochs = res.history.epochs as Record<string, number>[];
    for (const e of epochs) for (const k of ['emaValLoss', 'emaValAcc', 'emaValEce']) expect(Number.isFinite(e[k]), k).toBe(true);
    expect(res.test.ema.acc).toBeGreaterThan(0.5);
    expect(r.out).toMatch(/^validation accuracy \(ema\): \d+\.\d\d%, loss \d\.\d{4}, ECE \d+\.\d\d%$/m);
    expect(r.out).toMatch(/^test accuracy \(ema\): \d+\.\d\d%/m);
    expect(train.formatEpoch(epochs[0] as unknown as train.EpochRecord, 40)).toMatch(/ val_acc \d+\.\d\d% .* ema_val_acc \d+\.\d\d% /);
    // The early stop: where and why, in results.json and on stdout.
    const st = res.history.stopped;
    expect(st.by).toBe('earlyStopping');
    expect(st.epoch).toBe(epochs.length);
    expect(st.epoch).toBeLessThan(40);
    expect(st.details.bestEpoch).toBe(st.epoch - 2);
    expect(r.out).toContain(`stopped after epoch ${st.epoch} (earlyStopping): valAcc did not improve for 2 epochs`);
    expect(fs.readFileSync(path.join(out, 'report.html'), 'utf8')).toContain('validation accuracy (EMA)');
    const meta = readJson(path.join(out, 'checkpoint.json'));
    expect(Object.keys(meta.plugins).sort()).toEqual(['earlyStopping', 'ema']);
    // Resuming a stopped run keeps it stopped (the saved config brings the plug-ins back).
    const again = await cli(['train', '--resume', '--out', out, '--progress', 'none']);
    expect(again.code, again.err).toBe(0);
    expect(readJson(path.join(out, 'results.json')).history.epochs).toHaveLength(epochs.length);
  });

  it('a diverging run (lr 1e12) stops with the divergence error, exit code 1, and no checkpoint of NaN weights', async () => {
    const out = path.join(tmp('diverge'), 'run');
    const r = await cli(['train', '--dataset', 'moons', '--lr', '1e12', '--epochs', '3', '--out', out, '--progress', 'none']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /^torchmix train: DivergenceError: training diverged: the loss became non-finite \(NaN or ±Inf\) at epoch 1, step \d+ .*learning rate too high .*\(lr 1e\+12\)/m,
    );
    expect(r.err).not.toMatch(/out of bounds/);
    expect(fs.existsSync(path.join(out, 'checkpoint.json'))).toBe(false);
    expect(fs.existsSync(path.join(out, 'results.json'))).toBe(false);
  });
});
