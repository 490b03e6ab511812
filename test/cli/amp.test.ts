// `torchmix train --amp bf16|fp16`: validation (exit code 2, the flag named; fp16 where this
// LibTorch's CPU autocast cannot), a bf16 moons run (recorded in results.json, trains, differs from
// the fp32 run), and an fp16 run's GradScaler state in the checkpoint (LibTorch 2.x only).
import { describe, it, expect } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { torch } from '../../lib/index.js';
import { cli, tmp } from '../helpers/cli.js';

const readJson = (f: string) => JSON.parse(fs.readFileSync(f, 'utf8'));
const fp16 = torch.isAutocastDtypeSupported('cpu', 'float16');
const base = ['train', '--dataset', 'moons', '--progress', 'none', '--epochs', '2'];

describe('torchmix train --amp', () => {
  it('a bad value is refused with exit code 2, naming the flag', async () => {
    const r = await cli([...base, '--out', tmp('amp-bad'), '--amp', 'fp32']);
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(/--amp: expected bf16 or fp16, got 'fp32'/);
  });

  it.skipIf(fp16)('fp16 on a CPU LibTorch without fp16 autocast (1.13) is refused before anything loads', async () => {
    const r = await cli([...base, '--out', tmp('amp-fp16'), '--amp', 'fp16']);
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(/--amp: fp16 autocast is not supported on cpu by this LibTorch 1\.13.*use --amp bf16/);
  });

  it('--amp bf16 on moons trains, is recorded in results.json, and differs from the fp32 run', async () => {
    const a = path.join(tmp('amp-bf16'), 'run');
    const r = await cli([...base, '--out', a, '--amp', 'bf16']);
    expect(r.code, r.err).toBe(0);
    const res = readJson(path.join(a, 'results.json'));
    expect(res.config.amp).toBe('bf16');
    expect(res.final.valAcc).toBeGreaterThan(0.75);
    const b = path.join(tmp('amp-fp32'), 'run');
    const r32 = await cli([...base, '--out', b]);
    expect(r32.code, r32.err).toBe(0);
    const res32 = readJson(path.join(b, 'results.json'));
    expect(res32.config.amp).toBeUndefined();
    expect(res.history.epochs[1].trainLoss).not.toBe(res32.history.epochs[1].trainLoss);
    expect(Math.abs(res.history.epochs[1].trainLoss - res32.history.epochs[1].trainLoss)).toBeLessThan(0.05);
  });

  it.skipIf(!fp16)('--amp fp16 (LibTorch 2.x): the GradScaler state is in the checkpoint, and resume continues', async () => {
    const out = path.join(tmp('amp-fp16-run'), 'run');
    const r = await cli([...base, '--out', out, '--amp', 'fp16']);
    expect(r.code, r.err).toBe(0);
    const meta = readJson(path.join(out, 'checkpoint.json'));
    const st = meta.plugins.amp.values;
    expect(Object.keys(st).sort()).toEqual(['backoffFactor', 'growthFactor', 'growthInterval', 'growthTracker', 'scale']);
    expect(st.scale).toBeGreaterThan(0);
    expect(st.growthTracker).toBeGreaterThan(0); // good steps counted since the last change
    const again = await cli(['train', '--resume', '--out', out, '--progress', 'none', '--epochs', '3']);
    expect(again.code, again.err).toBe(0);
    const res = readJson(path.join(out, 'results.json'));
    expect(res.history.epochs).toHaveLength(3);
    expect(res.config.amp).toBe('fp16');
  });
});
