// `torchmix doctor [--json]`: what this machine gives torchmix, and for each problem the command
// that fixes it. Runs when the addon cannot load (it is imported inside a try, never at the top).
// Exit code 0 when torchmix can train, 1 when something blocks it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { addonBuildInfo, addonPath, buildCommand, isClone, packageRoot, type AddonBuildInfo } from '../torch/addon-path.js';
import { UsageError, parseFlags } from './args.js';
import type { IO } from './io.js';

export const DOCTOR_HELP = `Usage: torchmix doctor [--json] [--data NAME=DIR …]

Says what this machine gives torchmix: LibTorch (version, which search step found it, C++ ABI),
CUDA and cuDNN, devices and their memory, threads, the datasets found, the Python baseline's torch,
Node.js; and for each problem the command that fixes it. Exit code 0 when torchmix can train, 1 when
something blocks it.

  --json             the same as JSON (schema 'torchmix-doctor/1', see README "Troubleshooting")
  --data NAME=DIR    look for dataset NAME (fashion-mnist, mnist, cifar10, cifar100) in DIR (repeatable)
  -h, --help         this help
`;

/** --json's schema. Fields are only ever added (a new schema id if one changes meaning). */
export interface DoctorReport {
  schema: 'torchmix-doctor/1';
  /** False when an 'error' problem blocks training. */
  ok: boolean;
  torchmix: { version: string; root: string; install: 'clone' | 'npm' };
  node: { version: string; required: string; ok: boolean };
  addon: { path: string; loaded: boolean; error: string | null; build: AddonBuildInfo | null };
  /** null when the addon does not load. */
  libtorch: { version: string; cxx11Abi: boolean; cudaBuilt: boolean; cuda: boolean; cudnn: boolean } | null;
  /** interOp: null only from an addon built before config() reported it. */
  threads: { intraOp: number; interOp: number | null } | null;
  /** torch.config().allocator: glibc malloc tuned at load or left as is (TORCHMIX_MALLOC=system); null when the addon does not load. */
  allocator: string | null;
  /** The torch.distributed backends built into the addon; null when the addon does not load. */
  distributed: { gloo: boolean; nccl: boolean } | null;
  devices: { device: string; name: string | null; memoryBytes: number | null; freeBytes: number | null }[];
  datasets: { name: string; dir: string | null; found: boolean; missing: string[] }[];
  /** The Python of the baselines and parity tests (.venv in a clone); null in an npm install. */
  python: { path: string; found: boolean; torch: string | null; matchesLibtorch: boolean | null } | null;
  problems: { severity: 'error' | 'warning'; what: string; fix: string }[];
}

// Same as data/idx.ts FASHION_MNIST_DIR (importing that module would load the addon).
const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
const IDX = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];
// Per dataset: default folder, the files its loader reads (lib/data), the archive subfolder the
// loader also accepts, and the command that fetches it into DIR.
const DATASETS: Record<string, { dir: string | null; files: string[]; sub?: string; fix: (dir: string) => string }> = {
  'fashion-mnist': {
    dir: FASHION_MNIST_DIR,
    files: IDX,
    fix: (d) =>
      d === FASHION_MNIST_DIR
        ? 'sudo apt-get install dataset-fashion-mnist'
        : `cp ${FASHION_MNIST_DIR}/*.gz ${d}/  (after: sudo apt-get install dataset-fashion-mnist)`,
  },
  mnist: {
    dir: null,
    files: IDX,
    fix: (d) => `mkdir -p ${d} && for f in ${IDX.join(' ')}; do curl -fL -o ${d}/$f.gz https://ossci-datasets.s3.amazonaws.com/mnist/$f.gz; done`,
  },
  cifar10: {
    dir: null,
    files: [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`).concat('test_batch.bin'),
    sub: 'cifar-10-batches-bin',
    fix: (d) => `mkdir -p ${d} && curl -fL https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz | tar xz -C ${d}`,
  },
  cifar100: {
    dir: null,
    files: ['train.bin', 'test.bin'],
    sub: 'cifar-100-binary',
    fix: (d) => `mkdir -p ${d} && curl -fL https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz | tar xz -C ${d}`,
  },
};

/** Files of `name` missing from dir (IDX files may be gzipped; CIFAR may sit in its archive folder). */
function missingFiles(name: string, dir: string): string[] {
  const d = DATASETS[name];
  const base = d.sub && !fs.existsSync(path.join(dir, d.files[d.files.length - 1])) && fs.existsSync(path.join(dir, d.sub)) ? path.join(dir, d.sub) : dir;
  return d.files.filter((f) => !fs.existsSync(path.join(base, f)) && !(d.files === IDX && fs.existsSync(path.join(base, `${f}.gz`))));
}

const baseVersion = (v: string): string => v.split('+')[0];
function atLeast(version: string, required: string): boolean {
  const need = /^>=\s*(\d+)(?:\.(\d+))?/.exec(required);
  if (!need) return true;
  const [maj, min] = version.replace(/^v/, '').split('.').map(Number);
  return maj > Number(need[1]) || (maj === Number(need[1]) && min >= Number(need[2] ?? 0));
}

/** Each CUDA device's name and memory from nvidia-smi (the addon reports only the count), or []. */
function nvidiaSmi(): { name: string; memoryBytes: number; freeBytes: number }[] {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=name,memory.total,memory.free', '--format=csv,noheader,nounits'], {
      encoding: 'utf8',
      timeout: 20_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return out
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [name, total, free] = l.split(',').map((s) => s.trim());
        return { name, memoryBytes: Number(total) * 2 ** 20, freeBytes: Number(free) * 2 ** 20 };
      });
  } catch {
    return [];
  }
}

/** Gathers the report. `data` overrides a dataset's folder (name → dir). */
export async function diagnose(data: Record<string, string> = {}): Promise<DoctorReport> {
  const problems: DoctorReport['problems'] = [];
  const pkg = JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string; engines?: { node?: string } };
  const required = pkg.engines?.node ?? '>=20.10';
  const node = { version: process.version, required, ok: atLeast(process.version, required) };
  if (!node.ok)
    problems.push({
      severity: 'warning',
      what: `Node.js ${process.version} is older than ${required}: dropped tensors are freed only at torch.tidy exits`,
      fix: 'install Node.js 20.10 or newer (e.g. nvm install 22)',
    });

  // The addon, imported here so that a failure is a finding rather than a crash.
  const build = addonBuildInfo();
  const report: DoctorReport = {
    schema: 'torchmix-doctor/1',
    ok: true,
    torchmix: { version: pkg.version, root: packageRoot, install: isClone ? 'clone' : 'npm' },
    node,
    addon: { path: addonPath, loaded: false, error: null, build },
    libtorch: null,
    threads: null,
    allocator: null,
    distributed: null,
    devices: [],
    datasets: [],
    python: null,
    problems,
  };
  const cpu = os.cpus()[0]?.model ?? null;
  report.devices.push({ device: 'cpu', name: cpu && `${cpu} (${os.availableParallelism()} threads)`, memoryBytes: os.totalmem(), freeBytes: os.freemem() });
  try {
    const torch = await import('../torch/index.js');
    const c = torch.config();
    report.addon.loaded = true;
    report.libtorch = { version: c.version, cxx11Abi: c.cxx11Abi, cudaBuilt: c.cudaBuilt, cuda: c.cuda, cudnn: c.cudnn };
    report.threads = { intraOp: torch.getNumThreads(), interOp: c.interopThreads ?? null };
    report.allocator = c.allocator;
    report.distributed = { gloo: torch.distributed.isGlooAvailable(), nccl: torch.distributed.isNcclAvailable() };
    if (c.cudaBuilt && !report.distributed.nccl && Number(c.version.split('.')[0]) >= 2)
      problems.push({
        severity: 'warning',
        what: 'the NCCL backend (torch.distributed on CUDA tensors) was left out of this build: the CUDA crt/CCCL and NCCL headers were not found at build time',
        fix: 'bash scripts/setup.sh (installs nvidia-cuda-crt and nvidia-cuda-cccl into the venv, then rebuilds), or build where a CUDA toolkit is installed',
      });
    const smi = nvidiaSmi();
    const n = c.cuda ? torch.cuda.deviceCount() : 0;
    for (let i = 0; i < n; i++)
      report.devices.push({ device: `cuda:${i}`, name: smi[i]?.name ?? null, memoryBytes: smi[i]?.memoryBytes ?? null, freeBytes: smi[i]?.freeBytes ?? null });
    if (!c.cuda && smi.length)
      problems.push(
        c.cudaBuilt
          ? {
              severity: 'warning',
              what: `nvidia-smi sees ${smi.length} GPU(s) but this LibTorch ${c.version} cannot use them (driver too old for its CUDA?)`,
              fix: 'nvidia-smi (the driver must support the CUDA of pip torch; update the driver)',
            }
          : {
              severity: 'warning',
              what: `nvidia-smi sees ${smi.length} GPU(s) but the addon was built against a CPU-only LibTorch ${c.version}`,
              fix: isClone
                ? 'rm -rf build && bash scripts/setup.sh   (pip torch, built with CUDA)'
                : 'LIBTORCH_USE_PYTORCH=1 npm rebuild torchmix   (with a CUDA pip torch in python3)',
            },
      );
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    report.addon.error = msg.split('\n')[0];
    problems.push({
      severity: 'error',
      what: `the native addon does not load: ${report.addon.error}`,
      fix: process.env.TORCHMIX_ADDON
        ? `unset TORCHMIX_ADDON, or point it at a built torchmix.node (${buildCommand} builds build/Release/torchmix.node)`
        : buildCommand,
    });
  }

  for (const [name, d] of Object.entries(DATASETS)) {
    const dir = data[name] ?? d.dir;
    if (dir === null) {
      report.datasets.push({ name, dir: null, found: false, missing: [] });
      continue;
    }
    const missing = fs.existsSync(dir) ? missingFiles(name, dir) : [dir];
    report.datasets.push({ name, dir, found: missing.length === 0, missing });
    if (missing.length)
      problems.push({
        severity: 'warning',
        what: `dataset ${name}: ${fs.existsSync(dir) ? `${missing.join(', ')} missing in ${dir}` : `folder ${dir} not found`}`,
        fix: d.fix(dir),
      });
  }

  if (isClone) {
    const py = path.join(packageRoot, '.venv', 'bin', 'python');
    report.python = { path: py, found: false, torch: null, matchesLibtorch: null };
    try {
      report.python.torch = execFileSync(py, ['-c', 'import torch; print(torch.__version__)'], {
        encoding: 'utf8',
        timeout: 120_000,
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
      report.python.found = true;
    } catch {
      problems.push({
        severity: 'warning',
        what: `the baselines' Python ${py} with torch is missing (parity tests and scripts/baselines skip)`,
        fix: 'bash scripts/setup.sh',
      });
    }
    if (report.python.torch && report.libtorch) {
      report.python.matchesLibtorch = baseVersion(report.python.torch) === baseVersion(report.libtorch.version);
      if (!report.python.matchesLibtorch)
        problems.push({
          severity: 'warning',
          what: `the baselines' torch ${report.python.torch} differs from the addon's LibTorch ${report.libtorch.version}: lockstep parity needs equal versions`,
          fix: process.env.TORCHMIX_ADDON ? 'unset TORCHMIX_ADDON (build/ is built against .venv)' : 'rm -rf build && bash scripts/setup.sh',
        });
    }
  }
  report.ok = !problems.some((p) => p.severity === 'error');
  return report;
}

const gib = (b: number | null): string => (b === null ? '?' : `${(b / 2 ** 30).toFixed(1)} GiB`);

/** The report as text, one finding per line, then the problems with their fixes. */
export function formatReport(r: DoctorReport): string {
  const L: string[] = [];
  const row = (k: string, v: string) => L.push(`${k.padEnd(12)}${v}`);
  row('torchmix', `${r.torchmix.version} (${r.torchmix.install === 'clone' ? 'a clone' : 'installed from npm'} at ${r.torchmix.root})`);
  row('Node.js', `${r.node.version} (needs ${r.node.required})${r.node.ok ? '' : ' TOO OLD'}`);
  row('addon', `${r.addon.path}: ${r.addon.loaded ? 'loads' : 'DOES NOT LOAD'}`);
  const b = r.addon.build;
  if (r.libtorch) {
    row('LibTorch', `${r.libtorch.version}${b ? `, found by step '${b.step}': ${b.source}` : ' (the build did not record where it came from)'}`);
    if (b) row('', b.path);
    row('C++ ABI', r.libtorch.cxx11Abi ? 'cxx11 (_GLIBCXX_USE_CXX11_ABI=1)' : 'pre-cxx11 (_GLIBCXX_USE_CXX11_ABI=0)');
    row('CUDA', `${r.libtorch.cudaBuilt ? 'built with CUDA' : 'CPU-only LibTorch'}; ${r.libtorch.cuda ? 'available' : 'not available'}`);
    row('cuDNN', r.libtorch.cudnn ? 'available' : 'not available');
  } else if (b) row('LibTorch', `built against: ${b.source} (${b.path})`);
  if (r.threads) row('threads', `intra-op ${r.threads.intraOp} (torch.setNumThreads / --threads), inter-op ${r.threads.interOp ?? 'not reported'}`);
  if (r.distributed) row('distributed', `gloo ${r.distributed.gloo ? 'built' : 'not built'}, nccl ${r.distributed.nccl ? 'built' : 'not built'}`);
  if (r.allocator)
    row('malloc', r.allocator.startsWith('tuned') ? `glibc ${r.allocator} at load; TORCHMIX_MALLOC=system leaves glibc's defaults` : r.allocator);
  for (const [i, d] of r.devices.entries()) row(i ? '' : 'devices', `${d.device}: ${d.name ?? '?'}, ${gib(d.memoryBytes)} (${gib(d.freeBytes)} free)`);
  for (const [i, d] of r.datasets.entries())
    row(
      i ? '' : 'datasets',
      `${d.name.padEnd(14)}${d.dir === null ? 'no default folder (torchmix train --data-dir DIR; check one: torchmix doctor --data ' + d.name + '=DIR)' : `${d.found ? 'found' : 'MISSING'} in ${d.dir}`}`,
    );
  if (r.python)
    row(
      'Python',
      r.python.found
        ? `${r.python.path}: torch ${r.python.torch}${r.python.matchesLibtorch === null ? '' : r.python.matchesLibtorch ? " (= the addon's LibTorch: parity tests run)" : " (≠ the addon's LibTorch)"}`
        : `${r.python.path}: MISSING`,
    );
  L.push('');
  if (r.problems.length === 0) L.push('No problems found.');
  for (const p of r.problems) L.push(`${p.severity === 'error' ? 'ERROR' : 'warning'}: ${p.what}`, `  fix: ${p.fix}`);
  L.push(r.ok ? 'torchmix can train on this machine.' : 'torchmix cannot train until the errors above are fixed.');
  return L.join('\n') + '\n';
}

export async function doctorCommand(argv: string[], io: IO): Promise<number> {
  const { values } = parseFlags(argv, { json: { type: 'boolean' }, data: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } }, 'doctor');
  if (values.help) {
    io.out(DOCTOR_HELP);
    return 0;
  }
  const data: Record<string, string> = {};
  for (const d of (values.data as unknown as string[] | undefined) ?? []) {
    const m = /^([^=]+)=(.+)$/.exec(d);
    if (!m || !(m[1] in DATASETS)) throw new UsageError(`--data: expected NAME=DIR with NAME one of ${Object.keys(DATASETS).join(', ')}, got '${d}'`);
    data[m[1]] = path.resolve(m[2]);
  }
  const r = await diagnose(data);
  io.out(values.json ? JSON.stringify(r, null, 2) + '\n' : formatReport(r));
  return r.ok ? 0 : 1;
}
