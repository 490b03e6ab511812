// `npm install torchmix` in someone else's project: this repository packed with `npm pack`, the
// tarball installed into a fresh temporary project (its install script builds the addon from source
// against the LibTorch of the addon under test: build/ = pip torch, TORCHMIX_ADDON=build-1.13/… =
// Debian's 1.13), then used there as a user would. And with no LibTorch findable, the install fails
// with the one message saying what to install. A few minutes: one full addon build.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { addonBuildInfo, addonPath, packageRoot } from '../../lib/torch/addon-path.js';
import { torch } from '../../lib/index.js';

const built = addonBuildInfo(addonPath);
// The LibTorch the addon under test was built against, as a LIBTORCH prefix ('system' has none:
// then the install searches as a user's would).
const libtorch = built && built.step !== 'system' ? built.path : undefined;
const skipReason = built
  ? null
  : `${addonPath} has no torchmix-libtorch.json next to it, so which LibTorch to build the package against is unknown (rebuild: bash scripts/setup.sh)`;
if (skipReason) console.warn(`pack test skipped: ${skipReason}`);

const npmCache = execFileSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' }).trim();
let tmp = '';
// A user's environment: none of this repository's switches (TORCHMIX_ADDON would load the repo's addon).
function userEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    npm_config_cache: npmCache,
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    TMPDIR: tmp, // the install log of a failing install lands here and goes with it
  };
  for (const k of Object.keys(env)) if (/^(TORCHMIX_|LIBTORCH|VITEST|NODE_OPTIONS$)/.test(k)) delete env[k];
  for (const [k, v] of Object.entries(extra))
    if (v === undefined) delete env[k];
    else env[k] = v;
  return env;
}
function project(name: string): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, type: 'module' }));
  return dir;
}
const npmInstall = (dir: string, env: NodeJS.ProcessEnv) =>
  spawnSync('npm', ['install', tarball, '--prefer-offline', '--foreground-scripts', '--loglevel=error'], {
    cwd: dir,
    env,
    encoding: 'utf8',
    timeout: 14 * 60_000,
  });

let tarball = '';
let files: string[] = [];
const seconds = (t0: number) => ((Date.now() - t0) / 1000).toFixed(0);

describe.skipIf(skipReason !== null)('npm pack + npm install torchmix into a fresh project', () => {
  beforeAll(() => {
    // Pack a copy of the working tree (prepack's tsc writes dist/ there, not into the repo's).
    const t0 = Date.now();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'torchmix-pack-'));
    const src = path.join(tmp, 'src');
    const skip = new Set(['node_modules', '.git', 'dist', 'runs', '.venv', '.device']);
    fs.cpSync(packageRoot, src, {
      recursive: true,
      filter: (p) => !(path.dirname(p) === packageRoot && (skip.has(path.basename(p)) || /^build/.test(path.basename(p)))),
    });
    fs.symlinkSync(path.join(packageRoot, 'node_modules'), path.join(src, 'node_modules'));
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', tmp, '--loglevel=error'], {
      cwd: src,
      encoding: 'utf8',
      env: userEnv({}),
      timeout: 5 * 60_000,
    });
    const info = JSON.parse(out.slice(out.indexOf('['))) as { filename: string; files: { path: string }[] }[];
    tarball = path.join(tmp, info[0].filename);
    files = info[0].files.map((f) => f.path);
    console.log(`pack test: npm pack ${seconds(t0)} s`);
  }, 6 * 60_000);
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }), 120_000);

  it('packs what runs and nothing dev-only', () => {
    for (const f of [
      'package.json',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/cli/main.js',
      'dist/cli/doctor.js',
      'scripts/torchmix.mjs',
      'scripts/install.mjs',
      'scripts/TORCH_VERSION',
      'CMakeLists.txt',
      'native/addon.cc',
      'native/pch.h',
    ])
      expect(files).toContain(f);
    expect(files.filter((f) => /^(test|lib|build|runs|docs|\.venv|node_modules)\/|\.map$|^scripts\/(setup|test|start)\.sh$/.test(f))).toEqual([]);
  });

  it(
    'with no LibTorch findable the install fails with one message saying what to install',
    () => {
      const t0 = Date.now();
      const dir = project('no-libtorch');
      const home = path.join(tmp, 'empty-home');
      const bin = path.join(tmp, 'bin');
      fs.mkdirSync(home);
      fs.mkdirSync(bin);
      // A python3 without torch first on PATH, whatever the machine's own python3 has.
      fs.writeFileSync(path.join(bin, 'python3'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
      const r = npmInstall(dir, userEnv({ HOME: home, XDG_CACHE_HOME: undefined, PATH: `${bin}:${process.env.PATH}`, TORCHMIX_NO_SYSTEM_LIBTORCH: '1' }));
      const text = `${r.stdout}\n${r.stderr}`;
      console.log(`pack test: failing install ${seconds(t0)} s`);
      expect(r.status, text).not.toBe(0);
      const venv = path.join(home, '.cache', 'torchmix', `venv-torch-${fs.readFileSync(path.join(packageRoot, 'scripts', 'TORCH_VERSION'), 'utf8').trim()}`);
      const msg = text.split('\n').filter((l) => l.includes('torchmix: no LibTorch found'));
      expect(msg.length, text).toBe(1);
      // What was searched, and the commands that fix it.
      for (const s of [
        `no venv at ${venv}`,
        'no python3 on PATH with torch',
        'TORCHMIX_NO_SYSTEM_LIBTORCH=1',
        `python3 -m venv ${venv} && ${venv}/bin/pip install torch==`,
        'sudo apt-get install libtorch-dev',
        'LIBTORCH=/path/to/libtorch',
        'LIBTORCH_USE_PYTORCH=1',
      ])
        expect(msg[0]).toContain(s);
      expect(text).not.toContain('CMake Error');
    },
    5 * 60_000,
  );

  it(
    'LIBTORCH pointing at no LibTorch fails the install with a message naming it',
    () => {
      const nowhere = path.join(tmp, 'nowhere');
      const r = npmInstall(project('bad-libtorch'), userEnv({ LIBTORCH: nowhere }));
      const text = `${r.stdout}\n${r.stderr}`;
      expect(r.status, text).not.toBe(0);
      expect(text).toContain(`torchmix: LIBTORCH points at '${nowhere}', which holds no LibTorch`);
      expect(text).toContain('point it at an unpacked LibTorch (the folder holding include/ and lib/) or unset it');
      expect(text).not.toContain('CMake Error');
    },
    5 * 60_000,
  );

  it(
    'installs (building the addon against LibTorch), imports, trains two moons, runs the CLI',
    () => {
      let t0 = Date.now();
      const dir = project('consumer');
      const env = userEnv({ LIBTORCH: libtorch });
      const r = npmInstall(dir, env);
      const text = `${r.stdout}\n${r.stderr}`;
      expect(r.status, text).toBe(0);
      expect(text).toMatch(new RegExp(`torchmix: built the native addon against LibTorch ${torch.config().version.replace(/\./g, '\\.')}`));
      console.log(`pack test: npm install (addon build) ${seconds(t0)} s`);
      const pkg = path.join(dir, 'node_modules', 'torchmix');
      // Only build/Release/ stays (the objects are ~700 MB).
      expect(fs.readdirSync(path.join(pkg, 'build'))).toEqual(['Release']);

      t0 = Date.now();
      fs.writeFileSync(
        path.join(dir, 'train.mjs'),
        `import { torch, nn, optim, data } from 'torchmix';
torch.manualSeed(0);
const { images: x, labels: y } = data.moons({ n: 256, noise: 0.1, seed: 0 });
const model = nn.models.mlp([2, 32, 2]);
const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
const losses = [];
for (let step = 0; step < 30; step++)
  losses.push(torch.tidy(() => { const loss = nn.functional.crossEntropy(model.forward(x), y); opt.zeroGrad(); loss.backward(); opt.step(); return loss.item(); }));
console.log(JSON.stringify({ version: torch.config().version, first: losses[0], last: losses.at(-1), resolved: import.meta.resolve('torchmix') }));
`,
      );
      const run = JSON.parse(execFileSync(process.execPath, ['train.mjs'], { cwd: dir, env, encoding: 'utf8', timeout: 120_000 })) as {
        version: string;
        first: number;
        last: number;
        resolved: string;
      };
      expect(run.version).toBe(torch.config().version);
      expect(run.resolved).toContain(path.join(dir, 'node_modules', 'torchmix', 'dist', 'index.js'));
      expect(run.first).toBeGreaterThan(0.5);
      expect(run.last).toBeLessThan(0.7 * run.first);

      const help = spawnSync('npx', ['--no-install', 'torchmix', '--help'], { cwd: dir, env, encoding: 'utf8', timeout: 120_000 });
      expect(help.status, help.stderr).toBe(0);
      expect(help.stdout).toContain('Usage: torchmix <command>');
      const doc = spawnSync('npx', ['--no-install', 'torchmix', 'doctor', '--json'], { cwd: dir, env, encoding: 'utf8', timeout: 120_000 });
      const report = JSON.parse(doc.stdout);
      expect(doc.status, doc.stdout).toBe(0);
      expect(report.torchmix.install).toBe('npm');
      expect(report.addon).toMatchObject({ path: path.join(pkg, 'build', 'Release', 'torchmix.node'), loaded: true });
      expect(report.addon.build.step).toBe(libtorch ? 'LIBTORCH' : built!.step);
      expect(report.libtorch.version).toBe(torch.config().version);
      expect(report.python).toBeNull();
      console.log(`pack test: train + CLI in the project ${seconds(t0)} s`);
    },
    15 * 60_000,
  );
});
