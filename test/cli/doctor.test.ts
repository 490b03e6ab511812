// torchmix doctor: real values from this machine (the addon's config, the datasets' default
// folders, the .venv's torch), missing datasets with their fix, and the addon-missing case.
import { describe, it, expect } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { torch, data } from '../../lib/index.js';
import { addonBuildInfo, addonPath, packageRoot } from '../../lib/torch/addon-path.js';
import { FASHION_MNIST_DIR } from '../../lib/data/idx.js';
import { diagnose, type DoctorReport } from '../../lib/cli/doctor.js';
import { cli, tmp } from '../helpers/cli.js';
import { havePython, venvPython } from '../helpers/python.js';

const doctorJson = async (...args: string[]) => {
  const r = await cli(['doctor', '--json', ...args]);
  return { ...r, report: JSON.parse(r.out) as DoctorReport };
};

describe('torchmix doctor', () => {
  it('reports the loaded addon with the values torch.config() gives', async () => {
    const r = await diagnose();
    const c = torch.config();
    expect(r.addon).toEqual({ path: addonPath, loaded: true, error: null, build: addonBuildInfo() });
    expect(r.addon.build?.step).toMatch(/^(LIBTORCH|LIBTORCH_USE_PYTORCH|venv|python3|system)$/);
    expect(r.libtorch).toEqual({ version: c.version, cxx11Abi: c.cxx11Abi, cudaBuilt: c.cudaBuilt, cuda: c.cuda, cudnn: c.cudnn });
    expect(r.distributed).toEqual({ gloo: torch.distributed.isGlooAvailable(), nccl: torch.distributed.isNcclAvailable() });
    expect(r.threads).toEqual({ intraOp: torch.getNumThreads(), interOp: torch.config().interopThreads });
    expect(r.allocator).toBe(c.allocator);
    expect(r.devices[0].device).toBe('cpu');
    expect(r.devices.filter((d) => d.device.startsWith('cuda')).length).toBe(c.cuda ? torch.cuda.deviceCount() : 0);
    expect(r.node.version).toBe(process.version);
    expect(r.torchmix).toEqual({
      version: JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')).version,
      root: packageRoot,
      install: 'clone',
    });
    expect(r.ok).toBe(true);
  });

  it('finds the datasets where the loaders look: a dataset is found exactly when its loader reads it', async () => {
    const r = await diagnose();
    const fm = r.datasets.find((d) => d.name === 'fashion-mnist')!;
    expect(fm.dir).toBe(FASHION_MNIST_DIR);
    let loads = true;
    try {
      torch.tidy(() => void data.load('fashion-mnist', { split: 'test' }));
    } catch {
      loads = false;
    }
    expect(fm.found).toBe(loads);
    // The others have no default folder: listed, not reported as a problem.
    for (const n of ['mnist', 'cifar10', 'cifar100']) expect(r.datasets.find((d) => d.name === n)).toEqual({ name: n, dir: null, found: false, missing: [] });
  });

  it('reports a missing dataset folder, and missing files, with the command that fetches them', async () => {
    const partial = tmp('doctor-cifar');
    fs.writeFileSync(path.join(partial, 'test_batch.bin'), '');
    const { code, report } = await doctorJson('--data', 'cifar10=/nonexistent/cifar', '--data', `cifar100=${partial}`);
    expect(code).toBe(0); // a missing dataset does not block training (the toy sets need none)
    expect(report.datasets.find((d) => d.name === 'cifar10')).toEqual({
      name: 'cifar10',
      dir: '/nonexistent/cifar',
      found: false,
      missing: ['/nonexistent/cifar'],
    });
    expect(report.datasets.find((d) => d.name === 'cifar100')).toEqual({ name: 'cifar100', dir: partial, found: false, missing: ['train.bin', 'test.bin'] });
    const p = report.problems.find((q) => q.what.includes('cifar10:'))!;
    expect(p).toEqual({
      severity: 'warning',
      what: 'dataset cifar10: folder /nonexistent/cifar not found',
      fix: 'mkdir -p /nonexistent/cifar && curl -fL https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz | tar xz -C /nonexistent/cifar',
    });
    // CIFAR-10 inside its archive folder counts, as the loader accepts it.
    const parent = tmp('doctor-cifar10');
    const sub = path.join(parent, 'cifar-10-batches-bin');
    fs.mkdirSync(sub);
    for (const f of ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5', 'test_batch'])
      fs.writeFileSync(path.join(sub, `${f}.bin`), '');
    const again = await doctorJson('--data', `cifar10=${parent}`);
    expect(again.report.datasets.find((d) => d.name === 'cifar10')).toMatchObject({ found: true, missing: [] });
    const text = await cli(['doctor', '--data', 'mnist=/nonexistent/mnist']);
    expect(text.out).toContain(
      'warning: dataset mnist: folder /nonexistent/mnist not found\n  fix: mkdir -p /nonexistent/mnist && for f in train-images-idx3-ubyte',
    );
  });

  it('--json has the documented schema', async () => {
    const { code, report } = await doctorJson();
    expect(code).toBe(report.ok ? 0 : 1);
    expect(report.schema).toBe('torchmix-doctor/1');
    expect(Object.keys(report).sort()).toEqual(
      ['addon', 'allocator', 'datasets', 'devices', 'distributed', 'libtorch', 'node', 'ok', 'problems', 'python', 'schema', 'threads', 'torchmix'].sort(),
    );
    for (const p of report.problems) expect(Object.keys(p).sort()).toEqual(['fix', 'severity', 'what']);
    for (const d of report.devices) expect(Object.keys(d).sort()).toEqual(['device', 'freeBytes', 'memoryBytes', 'name']);
  });

  it.skipIf(!havePython('torch', 'doctor: the .venv torch check'))("reports the .venv's torch and whether it matches the addon's LibTorch", async () => {
    const v = execFileSync(venvPython, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).trim();
    const r = await diagnose();
    const same = v.split('+')[0] === torch.config().version;
    expect(r.python).toEqual({ path: venvPython, found: true, torch: v, matchesLibtorch: same });
    expect(r.problems.some((p) => p.what.includes('lockstep parity needs equal versions'))).toBe(!same);
  });

  it('bad flags exit 2 naming the flag', async () => {
    const r = await cli(['doctor', '--data', 'imagenet=/x']);
    expect(r.code).toBe(2);
    expect(r.err).toContain("--data: expected NAME=DIR with NAME one of fashion-mnist, mnist, cifar10, cifar100, got 'imagenet=/x'");
    expect((await cli(['--help'])).out).toMatch(/\n {2}doctor {4}what this machine gives torchmix/);
  });

  it('still runs when the addon cannot load, and exits 1 saying why and what fixes it', () => {
    const env = { ...process.env, TORCHMIX_ADDON: '/nonexistent/torchmix.node', TORCHMIX_CLI: 'source' };
    const run = (...a: string[]) =>
      spawnSync(process.execPath, ['scripts/torchmix.mjs', 'doctor', ...a], { cwd: packageRoot, env, encoding: 'utf8', timeout: 120_000 });
    const j = run('--json');
    expect(j.status, j.stderr).toBe(1);
    const r = JSON.parse(j.stdout) as DoctorReport;
    expect(r.ok).toBe(false);
    expect(r.addon.loaded).toBe(false);
    expect(r.addon.error).toContain('torchmix: cannot load the native addon at /nonexistent/torchmix.node (TORCHMIX_ADDON points there');
    expect(r.libtorch).toBeNull();
    expect(r.problems[0]).toMatchObject({
      severity: 'error',
      fix: 'unset TORCHMIX_ADDON, or point it at a built torchmix.node (bash scripts/setup.sh builds build/Release/torchmix.node)',
    });
    const t = run();
    expect(t.status).toBe(1);
    expect(t.stdout).toContain('addon       /nonexistent/torchmix.node: DOES NOT LOAD');
    expect(t.stdout).toContain('ERROR: the native addon does not load: torchmix: cannot load the native addon at /nonexistent/torchmix.node');
    expect(t.stdout).toContain('torchmix cannot train until the errors above are fixed.');
  });
});
