// torch.distributed over loopback: collectives between 2 and 3 real processes (Gloo through a
// TCPStore), rendezvous timeouts, a rank dying after init, the event loop during a blocked
// rendezvous, and the argument checks. Every child runs under a hard timeout and is killed afterwards.
import { afterEach, describe, expect, it } from 'vitest';
import * as torch from '../../lib/torch/index.js';
import { spawn } from 'node:child_process';
import { freePort, killAll, launch, track } from './launch.js';
import { havePython, venvPython } from '../helpers/python.js';

const dist = torch.distributed;
afterEach(() => killAll());

describe.each([2, 3])('collectives on %i processes', (R) => {
  it('allReduce (sum, avg, max), broadcast, allGather and barrier give every rank the right values', async () => {
    const res = await launch('collectives', R, { hardTimeoutMs: 40_000 });
    const ranks = Array.from({ length: R }, (_, r) => r);
    const meanSq = ranks.reduce((s, r) => s + r * r, 0) / R;
    for (const p of res) {
      expect(p.code, p.err).toBe(0);
      expect(p.lines).toHaveLength(1);
      const o = p.lines[0];
      expect(o.rank).toBe(p.rank);
      expect(o.worldSize).toBe(R);
      expect(o.sum).toEqual([(R * (R + 1)) / 2, R * (R + 1), -(R * (R - 1)) / 2]);
      const avg = o.avg as number[];
      expect(avg[0]).toBeCloseTo((R - 1) / 2, 12);
      expect(avg[1]).toBeCloseTo(meanSq + 0.5, 12);
      expect(o.max).toEqual([7 * (R - 1), 0]);
      expect(o.broadcast).toEqual([R - 0.75, R - 0.75, R - 0.75, R - 0.75]);
      expect(o.allGather).toEqual(ranks.map((r) => [r, 10 * r + 1]));
      // Rank 0 reached the barrier 300 ms late: the others waited for it.
      if (p.rank !== 0) expect(o.barrierWaitMs as number).toBeGreaterThan(150);
    }
  });
});

// torchrun's agent serves the store; its TCPStore protocol is the venv torch's (2.x), which a 1.13
// client cannot speak, so this runs where the addon's LibTorch is 2.x.
const agentStoreOk = Number(torch.config().version.split('.')[0]) >= 2 && havePython('torch', "the agent-store test (PyTorch's TCPStore)");
it.skipIf(!agentStoreOk)("under torchrun's agent store (PyTorch's own TCPStore serving) every rank connects; GLOO_SOCKET_IFNAME is honoured", async () => {
  const port = await freePort();
  const py = `import sys, time, datetime\nfrom torch.distributed import TCPStore\ns = TCPStore('127.0.0.1', ${port}, 2, True, datetime.timedelta(seconds=30), wait_for_workers=False)\nprint('serving', flush=True)\ntime.sleep(60)`;
  const store = track(spawn(venvPython, ['-c', py], { stdio: ['ignore', 'pipe', 'inherit'] }));
  await new Promise<void>((ok, fail) => {
    store.stdout!.on('data', (d: Buffer) => d.toString().includes('serving') && ok());
    store.on('close', () => fail(new Error('the Python store exited')));
  });
  const res = await launch('collectives', 2, { hardTimeoutMs: 40_000, port, env: { TORCHELASTIC_USE_AGENT_STORE: 'True', GLOO_SOCKET_IFNAME: 'lo' } });
  for (const p of res) {
    expect(p.code, p.err).toBe(0);
    expect(p.lines[0].sum).toEqual([3, 6, -1]);
  }
});

describe('failures end within the timeout', () => {
  it('a rank that exits after init makes the others\u2019 next collective reject (no hang)', async () => {
    const res = await launch('exitAfterInit', 3, { hardTimeoutMs: 40_000, env: { TEST_DIST_TIMEOUT: '4000' } });
    expect(res[2].code, res[2].err).toBe(0);
    for (const p of res.slice(0, 2)) {
      expect(p.code, p.err).toBe(3);
      const o = p.lines.find((l) => 'error' in l)!;
      expect(o.error).toMatch(/^allReduce: failed on rank \d of 3/);
      expect(o.name).toBe('TorchError');
      expect(o.ms as number).toBeLessThan(4000 + 3000);
    }
  });

  it('a rank that is alive but never calls the collective: the others reject after the timeout', async () => {
    const res = await launch('silentPeer', 2, { hardTimeoutMs: 40_000, env: { TEST_DIST_TIMEOUT: '3000' } });
    const p = res[0];
    expect(p.code, p.err).toBe(3);
    const o = p.lines.find((l) => 'error' in l)!;
    expect(o.error).toMatch(/^allReduce: failed on rank 0 of 2 \(a peer may have exited or not called it within 3 s\)/);
    expect(o.ms as number).toBeGreaterThanOrEqual(2500);
    expect(o.ms as number).toBeLessThan(9000);
  });

  it('a rank that never arrives: initProcessGroup rejects within the timeout, naming it, while the event loop runs', async () => {
    const port = await freePort();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 50);
    const t0 = Date.now();
    try {
      await expect(dist.initProcessGroup({ backend: 'gloo', initMethod: `tcp://127.0.0.1:${port}`, rank: 0, worldSize: 3, timeout: 2500 })).rejects.toThrow(
        new RegExp(`^initProcessGroup: ranks 1 and 2 of 3 did not join the store at 127\\.0\\.0\\.1:${port} within 2\\.5 s$`),
      );
    } finally {
      clearInterval(timer);
    }
    const ms = Date.now() - t0;
    expect(ms).toBeGreaterThanOrEqual(2400);
    expect(ms).toBeLessThan(6000);
    // ~50 ticks in 2.5 s if the JS thread was free; a blocked thread gives 0 or 1.
    expect(ticks).toBeGreaterThan(25);
    expect(dist.isInitialized()).toBe(false);
  });

  it('rank 1 with no store to connect to rejects within the timeout', async () => {
    const port = await freePort();
    const t0 = Date.now();
    await expect(dist.initProcessGroup({ backend: 'gloo', initMethod: `tcp://127.0.0.1:${port}`, rank: 1, worldSize: 2, timeout: 2000 })).rejects.toThrow(
      `initProcessGroup: rank 1 of 2 could not connect to the store at 127.0.0.1:${port} within 2 s`,
    );
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(dist.isInitialized()).toBe(false);
  });
});

describe('a one-process group and the argument checks', () => {
  it('before init: clear errors', async () => {
    expect(dist.isInitialized()).toBe(false);
    expect(() => dist.getRank()).toThrow(/getRank\(\): the default process group has not been initialized/);
    await expect(dist.allReduce(torch.ones([2]))).rejects.toThrow(/allReduce\(\): the default process group has not been initialized/);
    await expect(dist.barrier()).rejects.toThrow(torch.TorchValueError);
  });

  it('bad init options name the argument', async () => {
    await expect(dist.initProcessGroup({ backend: 'mpi' as 'gloo' })).rejects.toThrow(/backend must be 'gloo' or 'nccl'/);
    await expect(dist.initProcessGroup({ backend: 'gloo', initMethod: 'file:///tmp/x', rank: 0, worldSize: 1 })).rejects.toThrow(
      /initMethod must be 'env:\/\/' or 'tcp:\/\/host:port'/,
    );
    await expect(dist.initProcessGroup({ backend: 'gloo', initMethod: 'tcp://127.0.0.1:29500', rank: 2, worldSize: 2 })).rejects.toThrow(
      /rank must be in \[0, 2\)/,
    );
    await expect(dist.initProcessGroup({ backend: 'gloo', initMethod: 'tcp://127.0.0.1:29500' })).rejects.toThrow(/needs rank and worldSize/);
    const saved = process.env.MASTER_ADDR;
    delete process.env.MASTER_ADDR;
    try {
      await expect(dist.initProcessGroup({ backend: 'gloo' })).rejects.toThrow(/environment variable MASTER_ADDR/);
    } finally {
      if (saved !== undefined) process.env.MASTER_ADDR = saved;
    }
    if (!dist.isNcclAvailable())
      await expect(dist.initProcessGroup({ backend: 'nccl', rank: 0, worldSize: 1 })).rejects.toThrow(torch.TorchNotImplementedError);
    expect(dist.isInitialized()).toBe(false);
  });

  it('world size 1: collectives are the identity, bad tensors are refused, destroy then init again', async () => {
    for (let round = 0; round < 2; round++) {
      const port = await freePort();
      await dist.initProcessGroup({ backend: 'gloo', initMethod: `tcp://127.0.0.1:${port}`, rank: 0, worldSize: 1, timeout: 5000 });
      expect(dist.isInitialized()).toBe(true);
      expect([dist.getRank(), dist.getWorldSize(), dist.getBackend()]).toEqual([0, 1, 'gloo']);
      await expect(dist.initProcessGroup({ backend: 'gloo', initMethod: `tcp://127.0.0.1:${port}`, rank: 0, worldSize: 1 })).rejects.toThrow(
        /already initialized/,
      );
      const t = torch.tensor(Float32Array.from([1.5, -2]));
      await dist.allReduce(t, { op: dist.ReduceOp.AVG });
      expect(Array.from(t.toArray() as Float32Array)).toEqual([1.5, -2]);
      const g = [torch.zeros([2])];
      await dist.allGather(g, t);
      expect(Array.from(g[0].toArray() as Float32Array)).toEqual([1.5, -2]);
      await dist.broadcast(t, { src: 0 });
      await dist.barrier();
      // The worker holds the tensor: disposing the JS wrapper mid-collective is safe.
      const held = torch.ones([1000]);
      const p = dist.allReduce(held);
      held.dispose();
      await p;

      await expect(dist.allReduce(torch.ones([2], { dtype: 'int64' }), { op: 'avg' })).rejects.toThrow(/ReduceOp.AVG needs a floating-point tensor, got int64/);
      await expect(dist.allReduce(t, { op: 'median' as 'sum' })).rejects.toThrow(/op must be one of/);
      await expect(dist.allReduce(torch.ones([3, 4]).t())).rejects.toThrow(/must be contiguous/);
      await expect(dist.allReduce([1, 2] as unknown as torch.Tensor)).rejects.toThrow(torch.TorchTypeError);
      const d = torch.ones([2]);
      d.dispose();
      await expect(dist.allReduce(d)).rejects.toThrow(/tensor was disposed/);
      await expect(dist.broadcast(t, { src: 1 })).rejects.toThrow(/src must be a rank in \[0, 1\)/);
      await expect(dist.allGather([torch.zeros([2]), torch.zeros([2])], t)).rejects.toThrow(/tensorList must hold worldSize = 1 tensors, got 2/);
      await expect(dist.allGather([torch.zeros([3])], t)).rejects.toThrow(
        /tensorList\[0\] must have tensor's shape \[2\] and dtype float32, got \[3\] float32/,
      );
      await expect(dist.allGather([torch.zeros([2], { dtype: 'float64' })], t)).rejects.toThrow(/dtype float32, got \[2\] float64/);
      if (torch.cuda.isAvailable()) await expect(dist.allReduce(torch.ones([2], { device: 'cuda' }))).rejects.toThrow(/takes CPU tensors/);

      await dist.destroyProcessGroup();
      expect(dist.isInitialized()).toBe(false);
      await expect(dist.barrier()).rejects.toThrow(/not been initialized/);
    }
  });
});
