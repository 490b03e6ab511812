// In-process cost of reading a module's children and parameters (the part of a forward that
// modules-by-assignment can change; run by module-before-after.sh on both sides), in process CPU
// time (a shared machine's waits do not count):
//   read_ns     one `net.fc1.weight`-style chain (a child, then its parameter), averaged
//   forward_us  net.forward on a 1×2 input under noGrad (tiny ops: the JS side weighs most)
//
//   npx tsx scripts/bench/overhead/module-reads.ts [--iters N]
// Prints one JSON line. TORCHMIX_ADDON selects the addon.
import { torch } from '../../../lib/index.js';
import { TinyMLP } from './tiny-mlp.js';

const it = process.argv.indexOf('--iters');
const iters = it > 0 ? Number(process.argv[it + 1]) : 2_000_000;

torch.setNumThreads(1);
const net = new TinyMLP();

// process CPU time in ms (user + system): a shared machine's waits do not count
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
};

function reads(n: number): number {
  let misses = 0;
  const t0 = cpuMs();
  for (let i = 0; i < n; i++) {
    if (net.fc1.weight === undefined) misses++;
    if (net.fc2.bias === undefined) misses++;
    if (net.fc3.weight === undefined) misses++;
    if (net.fc1.bias === undefined) misses++;
  }
  if (misses) throw new Error('unreachable');
  return ((cpuMs() - t0) * 1e6) / (4 * n);
}
const x = torch.randn([1, 2]);
function forwards(n: number): number {
  const block = 1000;
  const t0 = cpuMs();
  for (let k = 0; k < n / block; k++)
    torch.tidy(() =>
      torch.noGrad(() => {
        for (let i = 0; i < block; i++) net.forward(x);
      }),
    );
  return ((cpuMs() - t0) * 1e3) / n;
}
reads(iters / 4);
const readNs = reads(iters);
forwards(5000);
const forwardUs = forwards(20000);
const r4 = (v: number) => Math.round(v * 1e4) / 1e4;
console.log(
  JSON.stringify({ impl: 'torchmix', libtorch: torch.config().version, read_ns: r4(readNs), forward_us: r4(forwardUs), iters, node: process.version }),
);
