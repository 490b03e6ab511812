#!/usr/bin/env node
// npm's `install` hook: builds the native addon from source with cmake-js, against the LibTorch that
// CMakeLists.txt finds (LIBTORCH, LIBTORCH_USE_PYTORCH=1, the venv made by scripts/setup.sh, the
// python3 on PATH with torch, the system's libtorch-dev), as tch-rs does; nothing is downloaded.
// On failure it prints one message saying what to install. A no-op in a clone of the repository,
// where scripts/setup.sh builds (so `npm ci` there does not build a second time).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
if (fs.existsSync(path.join(root, 'lib', 'index.ts'))) process.exit(0);

const log = path.join(os.tmpdir(), `torchmix-install-${process.pid}.log`);
function fail(message, withLog = true) {
  console.error(`${message}${withLog ? `\n(full build log: ${log})` : ''}`);
  process.exit(1);
}
const runs = (cmd, args) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;

const missing = [];
if (!runs(process.env.CMAKE ?? 'cmake', ['--version'])) missing.push('cmake (>= 3.18)');
if (!runs(process.env.CXX ?? 'c++', ['--version'])) missing.push('a C++17 compiler (c++)');
if (missing.length)
  fail(
    `torchmix: cannot build the native addon: ${missing.join(' and ')} not found on PATH. Install them (Debian/Ubuntu: sudo apt-get install cmake g++ make) and run the install again.`,
    false,
  );

// One compiler per ~1.5 GB of memory: a LibTorch translation unit needs about that much.
const jobs = process.env.CMAKE_BUILD_PARALLEL_LEVEL ?? String(Math.max(1, Math.min(os.availableParallelism(), Math.floor(os.totalmem() / 1.5e9))));
const cmakeJs = path.join(path.dirname(createRequire(import.meta.url).resolve('cmake-js/package.json')), 'bin', 'cmake-js');
console.error(`torchmix: building the native addon against LibTorch (${jobs} jobs, a few minutes; log: ${log})`);
const out = fs.openSync(log, 'w');
const r = spawnSync(process.execPath, [cmakeJs, 'compile', '--parallel', jobs, '-O', 'build'], { cwd: root, stdio: ['ignore', out, out] });
fs.closeSync(out);

if (r.status !== 0) {
  const lines = fs.readFileSync(log, 'utf8').split('\n');
  // CMakeLists.txt's own errors ("torchmix: no LibTorch found …") arrive as an indented, re-wrapped
  // paragraph after "CMake Error at CMakeLists.txt:N (message):"; print that paragraph alone.
  const at = lines.findIndex((l) => /^CMake Error at CMakeLists\.txt:\d+ \(message\):/.test(l));
  if (at >= 0) {
    const para = [];
    for (const l of lines.slice(at + 1)) {
      if (para.length && !/^\s+\S/.test(l)) break;
      if (l.trim()) para.push(l.trim());
    }
    fail(para.join(' '));
  }
  process.stderr.write(lines.slice(-40).join('\n') + '\n');
  fail(`torchmix: building the native addon failed (the compiler's last lines above); 'npx torchmix doctor' after a fix says what torchmix sees.`);
}

// Load what was built, in a child (LibTorch's libraries must resolve through the addon's RPATH).
const addon = path.join(root, 'build', 'Release', 'torchmix.node');
const check = spawnSync(process.execPath, ['-e', `process.stdout.write(require(${JSON.stringify(addon)}).config().version)`], { encoding: 'utf8' });
if (check.status !== 0) fail(`torchmix: the native addon was built but does not load: ${(check.stderr || '').trim().split('\n').slice(0, 6).join(' ')}`);
let from = '';
try {
  from = ` from ${JSON.parse(fs.readFileSync(path.join(root, 'build', 'Release', 'torchmix-libtorch.json'), 'utf8')).source}`;
} catch {
  /* an older CMakeLists.txt: no record */
}
console.error(`torchmix: built the native addon against LibTorch ${check.stdout}${from}`);
// The objects and the precompiled header are ~700 MB; only build/Release/ is used at run time.
for (const e of fs.readdirSync(path.join(root, 'build'))) if (e !== 'Release') fs.rmSync(path.join(root, 'build', e), { recursive: true, force: true });
fs.rmSync(log, { force: true });
