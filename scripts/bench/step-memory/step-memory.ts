// Peak memory of one training step in torchmix; prints one JSON line. The twin of step_memory.py:
//   npx tsx scripts/bench/step-memory/step-memory.ts --model smallcnn|preact18 --threads N
// Step (one torch.tidy, as train-step.ts --optim lib): forward, cross-entropy, grads set to null,
// backward, optim.SGD (lr 0.01, momentum 0.9). Measured around a step, after setup (model, data,
// optimizer): rss = VmHWM − VmRSS before it, the high-water mark reset by writing 5 to
// /proc/self/clear_refs; heap = the peak of bytes live in malloc above those before it, from
// heapcount.so (LD_PRELOAD, STEPMEM_COUNTERS) when run.sh loads it. `first`: the first step after
// setup; `steady`: the median of 3 steps after 2 more.
import fs from 'node:fs';
import { torch, nn, optim } from '../../../lib/index.js';
import { moduleScopesEnabled } from '../../../lib/nn/call-scope.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
const modelName = args.get('model') ?? 'smallcnn';
torch.setNumThreads(Number(args.get('threads') ?? 1));
torch.manualSeed(0);
const [model, shape] =
  modelName === 'smallcnn' ? [nn.models.smallCNN(), [128, 1, 28, 28]] : [nn.models.preactResNet18({ inChannels: 3, numClasses: 10 }), [32, 3, 32, 32]];
model.train();
const x = torch.randn(shape);
const y = torch.randint(0, 10, [shape[0]]);
const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });

function step(): number {
  return torch.tidy(() => {
    const loss = nn.functional.crossEntropy(model.forward(x), y);
    opt.zeroGrad({ setToNone: true });
    loss.backward();
    opt.step();
    return loss.item() as number;
  });
}

const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync('/proc/self/status', 'utf8'))![1]) * 1024;
const counters = process.env.STEPMEM_COUNTERS ? fs.openSync(process.env.STEPMEM_COUNTERS, 'r+') : -1;
const cbuf = new BigInt64Array(2);
function heap(): [number, number] {
  fs.readSync(counters, cbuf, 0, 16, 0);
  return [Number(cbuf[0]), Number(cbuf[1])];
}

function measure(): { rss: number; heap: number | null } {
  let heap0 = 0;
  if (counters >= 0) {
    heap0 = heap()[0];
    cbuf[1] = BigInt(heap0);
    fs.writeSync(counters, cbuf, 8, 8, 8); // peak := current
  }
  fs.writeFileSync('/proc/self/clear_refs', '5');
  const rss0 = kib('VmRSS');
  step();
  const rss = kib('VmHWM') - rss0;
  return { rss, heap: counters >= 0 ? heap()[1] - heap0 : null };
}

const first = measure();
step();
step();
const steady = [measure(), measure(), measure()];
const med = (v: number[]) => v.sort((a, b) => a - b)[1];
console.log(
  JSON.stringify({
    impl: 'torchmix',
    model: modelName,
    threads: torch.getNumThreads(),
    malloc: torch.config().allocator.startsWith('tuned') ? 'tuned' : 'system',
    scopes: moduleScopesEnabled(),
    first,
    steady: { rss: med(steady.map((s) => s.rss)), heap: counters >= 0 ? med(steady.map((s) => s.heap!)) : null },
  }),
);
