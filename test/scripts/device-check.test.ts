// scripts/device-check.sh on this machine: the one-call GPU check must run end to end without a GPU
// (CUDA parts skipped, each named with its reason), exercise the benchmark path with a CPU sanity run
// and report numbers, and reject a bad flag with its usage.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { torch } from '../../lib/index.js';
import { packageRoot } from '../../lib/torch/native.js';
import { havePython } from '../helpers/python.js';

const script = path.join(packageRoot, 'scripts', 'device-check.sh');
const run = (args: string[], timeout = 170_000) =>
  spawnSync('bash', [script, ...args], { cwd: packageRoot, encoding: 'utf8', timeout, env: { ...process.env, TORCHMIX_ADDON: '' } });

it('a bad flag exits 2 with the usage; --out is required', () => {
  const r = run(['--bogus'], 20_000);
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/unknown option --bogus/);
  expect(r.stderr).toMatch(/usage: bash scripts\/device-check.sh --out DIR \[--quick\]/);
  const r2 = run(['--quick'], 20_000);
  expect(r2.status).toBe(2);
  expect(r2.stderr).toMatch(/--out DIR is required/);
});

// On a GPU machine the script runs the GPU parts (minutes): that is the device check itself, not a unit test.
const cpuOnly = !torch.cuda.isAvailable();
const py = havePython('torch', 'device-check.sh end to end');
describe.skipIf(!cpuOnly || !py)(
  cpuOnly ? 'device-check.sh --quick without a GPU' : 'device-check.sh --quick without a GPU (skipped: this machine has CUDA; run the script itself)',
  () => {
    let dir = '';
    let r: ReturnType<typeof run>;
    let report = '';
    beforeAll(() => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'devcheck-'));
      r = run(['--out', dir, '--quick']);
      if (existsSync(path.join(dir, 'device-check.md'))) report = readFileSync(path.join(dir, 'device-check.md'), 'utf8');
    }, 180_000);
    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('exits 0 and writes the report, results.json and the log', () => {
      expect(r.error, String(r.error)).toBeUndefined();
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(report).toMatch(/^# device-check/);
      for (const f of ['results.json', 'device-check.log', 'cpu-bench.json']) expect(existsSync(path.join(dir, f)), f).toBe(true);
      expect(report).toMatch(/## Machine/);
      expect(report).toMatch(/torch 2\.|torch 1\./);
    });

    it('names each skipped CUDA part with its reason', () => {
      const reason = /no CUDA device visible \(torch\.cuda\.isAvailable\(\) is false|this LibTorch \([^)]*\) has no CUDA/;
      for (const p of ['cuda-tests', 'gpu-bench']) expect(report).toMatch(new RegExp(`\\| ${p} \\| skipped: (${reason.source})`));
      // device-check builds against the venv's torch (NCCL built in, native/dist_nccl.cc: skipped for want of
      // GPUs); an addon without NCCL says so instead.
      expect(report).toMatch(
        /\| nccl \| skipped: (NCCL needs one GPU per rank: a 2-process all-reduce needs 2 GPUs, this machine has 0|NCCL is not built into this addon)/,
      );
      const parts = JSON.parse(readFileSync(path.join(dir, 'results.json'), 'utf8')).parts as { name: string; status: string; detail: string }[];
      const by = Object.fromEntries(parts.map((p) => [p.name, p]));
      expect(by.build.status).toBe('ok');
      expect(by['cuda-tests'].status).toBe('skipped');
      expect(by['cuda-tests'].detail).toMatch(reason);
      expect(by['gpu-bench'].status).toBe('skipped');
      expect(by['gloo-allreduce']).toMatchObject({ status: 'ok' });
      expect(by['gloo-allreduce'].detail).toMatch(/sum correct/);
    });

    it('the CPU sanity rows have numbers on both sides, and the same fp32 loss', () => {
      const rows = JSON.parse(readFileSync(path.join(dir, 'cpu-bench.json'), 'utf8')) as Record<string, number | string | null>[];
      expect(rows.map((x) => x.impl).sort()).toEqual(['pytorch', 'torchmix']);
      for (const row of rows) {
        expect(row.error).toBeUndefined();
        expect(row).toMatchObject({ model: 'smallcnn', device: 'cpu', batch: 16, amp: 'none', threads: 1 });
        expect(row.msPerStep as number).toBeGreaterThan(0);
        expect(row.stepsPerSec as number).toBeCloseTo(1000 / (row.msPerStep as number), 6);
        // peak RSS above the post-setup baseline: a small CNN step at batch 16 allocates something, far below 1 GiB
        expect(row.peakRssMiB as number).toBeGreaterThan(0);
        expect(row.peakRssMiB as number).toBeLessThan(1024);
      }
      expect(rows[0].loss as number).toBeCloseTo(rows[1].loss as number, 4);
      const line = report.split('\n').find((l) => l.startsWith('| small CNN, batch 16'));
      expect(line, report).toBeDefined();
      const cells = line!.split('|').map((c) => c.trim());
      // workload | threads | amp | PyTorch ms | torchmix ms | ratio | target | steps/s ×2 | peak RSS ×2
      expect(Number(cells[4])).toBeCloseTo(rows.find((x) => x.impl === 'pytorch')!.msPerStep as number, 0);
      expect(Number(cells[5])).toBeCloseTo(rows.find((x) => x.impl === 'torchmix')!.msPerStep as number, 0);
      for (const c of cells.slice(8, 12)) expect(Number(c)).toBeGreaterThan(0);
    });
  },
);
