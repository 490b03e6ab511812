// The README's main job (npm start → scripts/demo.ts) really trains, and rejects bad flags clearly.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { data } from '../lib/index.js';

const run = (args: string[]) =>
  spawnSync('npx', ['--no-install', 'tsx', 'scripts/demo.ts', ...args], { encoding: 'utf8', timeout: 120_000 });

describe('demo (npm start)', () => {
  it.skipIf(!fs.existsSync(data.FASHION_MNIST_DIR))('trains one epoch of input mixup to > 80% test accuracy and writes results.json (skipped without dataset-fashion-mnist)', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'torchmix-demo-'));
    const r = run(['--epochs', '1', '--out', out, '--seed', '1']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/epoch  1\/1 .* test acc \d+\.\d+%/);
    const res = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));
    expect(res.history).toHaveLength(1);
    expect(res.final.testAcc).toBeGreaterThan(0.8);
    expect(res.final.testAcc).toBeLessThan(1);
    expect(Number.isFinite(res.history[0].trainLoss)).toBe(true);
  });
  it('names a bad flag value', () => {
    const r = run(['--epochs', 'ten']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("--epochs: expected a positive integer, got 'ten'");
  });
  it('names an unknown flag', () => {
    const r = run(['--epoch', '3']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/Unknown option '--epoch'/);
  });
  it('names a missing dataset directory', () => {
    const r = run(['--data-dir', '/nonexistent']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/fashionMnist\(\): directory \/nonexistent not found\. .*apt-get install dataset-fashion-mnist/);
  });
});
