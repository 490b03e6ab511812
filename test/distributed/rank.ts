// One rank of a multi-process test (spawned by test/distributed/*.test.ts with the torchrun
// environment): runs the scenario named in argv[2] and prints one JSON line per result.
import * as torch from '../../lib/torch/index.js';

const dist = torch.distributed;
const out = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');
const timeout = Number(process.env.TEST_DIST_TIMEOUT ?? 10_000);

// TEST_DIST_BACKEND=nccl: the same scenario on CUDA tensors, each rank on cuda:LOCAL_RANK.
async function collectives(): Promise<void> {
  const backend = (process.env.TEST_DIST_BACKEND ?? 'gloo') as 'gloo' | 'nccl';
  await dist.initProcessGroup({ backend, timeout });
  const r = dist.getRank();
  const R = dist.getWorldSize();
  const device = backend === 'nccl' ? `cuda:${dist.getNodeLocalRank(r)}` : 'cpu';
  const res: Record<string, unknown> = { rank: r, worldSize: R, backend, device };

  const s = torch.tensor(Float32Array.from([r + 1, 2 * (r + 1), -r]), { device });
  await dist.allReduce(s, { op: dist.ReduceOp.SUM });
  res.sum = Array.from(s.toArray() as Float32Array);

  const a = torch.tensor(Float64Array.from([r, r * r + 0.5]), { device });
  await dist.allReduce(a, { op: dist.ReduceOp.AVG });
  res.avg = Array.from(a.toArray() as Float64Array);

  const m = torch.tensor(BigInt64Array.from([BigInt(r * 7), BigInt(-r)]), { device });
  await dist.allReduce(m, { op: dist.ReduceOp.MAX });
  res.max = Array.from(m.toArray() as BigInt64Array, Number);

  // A 2-d tensor broadcast from the last rank.
  const b = torch.full([2, 2], r + 0.25, { device });
  await dist.broadcast(b, { src: R - 1 });
  res.broadcast = Array.from(b.toArray() as Float32Array);

  const list = Array.from({ length: R }, () => torch.zeros([2], { dtype: 'int32', device }));
  await dist.allGather(list, torch.tensor(Int32Array.from([r, 10 * r + 1]), { device }));
  res.allGather = list.map((t) => Array.from(t.toArray() as Int32Array));

  // Barrier: rank 0 arrives late; nobody may pass it before rank 0 has reached it.
  if (r === 0) await new Promise((ok) => setTimeout(ok, 300));
  const t0 = Date.now();
  await dist.barrier();
  res.barrierWaitMs = Date.now() - t0;
  out(res);
  await dist.destroyProcessGroup();
}

// Joins, then (the last rank) exits at once; the others' next collective must reject.
async function exitAfterInit(): Promise<void> {
  await dist.initProcessGroup({ backend: 'gloo', timeout });
  const r = dist.getRank();
  const R = dist.getWorldSize();
  out({ rank: r, joined: true });
  if (r === R - 1) process.exit(0);
  await new Promise((ok) => setTimeout(ok, 200));
  const t0 = Date.now();
  try {
    await dist.allReduce(torch.ones([4]));
    out({ rank: r, error: null });
  } catch (e) {
    out({ rank: r, error: (e as Error).message, name: (e as Error).constructor.name, ms: Date.now() - t0 });
  }
  process.exit(3);
}

// The last rank stays alive but never calls the collective: the others' must reject after the timeout.
async function silentPeer(): Promise<void> {
  await dist.initProcessGroup({ backend: 'gloo', timeout });
  const r = dist.getRank();
  if (r === dist.getWorldSize() - 1) {
    await new Promise((ok) => setTimeout(ok, timeout + 2000));
    process.exit(0);
  }
  const t0 = Date.now();
  try {
    await dist.allReduce(torch.ones([4]));
    out({ rank: r, error: null });
  } catch (e) {
    out({ rank: r, error: (e as Error).message, ms: Date.now() - t0 });
  }
  process.exit(3);
}

const scenarios: Record<string, () => Promise<void>> = { collectives, exitAfterInit, silentPeer };
const fn = scenarios[process.argv[2]];
if (!fn) throw new Error(`unknown scenario ${process.argv[2]}`);
fn().catch((e) => {
  out({ fatal: (e as Error).message });
  process.exit(2);
});
