// The NCCL backend (native/dist_nccl.cc): built into a CUDA LibTorch 2.x build (the pip torch; setup.sh
// installs the header-only CUDA wheels it compiles against), left out of a CPU one (Debian's 1.13).
// Without a GPU the JS check and the native backend itself refuse with a reason; with two GPUs the
// collectives scenario of the Gloo tests runs on CUDA tensors between two processes.
import { afterEach, expect, it } from 'vitest';
import * as torch from '../../lib/torch/index.js';
import { N } from '../../lib/torch/native.js';
import { freePort, killAll, launch } from './launch.js';

const dist = torch.distributed;
const cfg = torch.config();
const gpus = torch.cuda.deviceCount();
afterEach(() => killAll());

it('is built exactly where the LibTorch has CUDA and ProcessGroupNCCL (2.x)', () => {
  expect(dist.isNcclAvailable()).toBe(cfg.cudaBuilt && Number(cfg.version.split('.')[0]) >= 2);
});

it.skipIf(!dist.isNcclAvailable() || gpus > 0)(
  'without a GPU: a clear error from initProcessGroup and from the native backend (skipped where NCCL is absent or a GPU is present)',
  async () => {
    const port = await freePort();
    const init = { backend: 'nccl' as const, initMethod: `tcp://127.0.0.1:${port}`, rank: 0, worldSize: 1, timeout: 5000 };
    await expect(dist.initProcessGroup(init)).rejects.toThrow(/backend 'nccl' needs a CUDA device per rank and this machine has none/);
    expect(dist.isInitialized()).toBe(false);
    // Past the JS check: ProcessGroupNCCL itself is linked and refuses with LibTorch's reason, no crash.
    await expect(N.distInit('127.0.0.1', port, 0, 1, true, 5000, 'nccl')).rejects.toThrow(/rank 0 of 1 could not create the NCCL backend: .*GPU/);
    expect(() => N.distInit('127.0.0.1', port, 0, 1, true, 5000, 'mpi')).toThrow(/backend 'mpi' is not built into this addon/);
  },
);

it.skipIf(dist.isNcclAvailable())('where NCCL is not built: TorchNotImplementedError naming what it needs', async () => {
  await expect(dist.initProcessGroup({ backend: 'nccl', rank: 0, worldSize: 1 })).rejects.toThrow(
    /'nccl' is not built into this addon \(it needs a CUDA LibTorch/,
  );
});

it.skipIf(!dist.isNcclAvailable() || gpus < 2)(
  `2 processes on 2 GPUs: allReduce, broadcast, allGather, barrier over NCCL (needs 2 CUDA devices, this machine has ${gpus})`,
  async () => {
    const res = await launch('collectives', 2, { hardTimeoutMs: 120_000, env: { TEST_DIST_BACKEND: 'nccl' } });
    for (const p of res) {
      expect(p.code, p.err).toBe(0);
      const o = p.lines[0];
      expect([o.backend, o.device]).toEqual(['nccl', `cuda:${p.rank}`]);
      expect(o.sum).toEqual([3, 6, -1]);
      expect(o.avg).toEqual([0.5, 1]);
      expect(o.max).toEqual([7, 0]);
      expect(o.broadcast).toEqual([1.25, 1.25, 1.25, 1.25]);
      expect(o.allGather).toEqual([
        [0, 1],
        [1, 11],
      ]);
    }
  },
);
