// Data-parallel `torchmix train` (torchrun's conventions):
//   torchmix train --nproc 2 …             starts 2 local ranks of the same command with torchrun's
//                                          environment (RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE,
//                                          MASTER_ADDR, MASTER_PORT), the threads divided among them;
//   --nnodes M --node-rank K --master-addr HOST --master-port P   the same across M machines;
//   a process started with those variables (by torchrun, or by hand) joins its group instead.
// The launcher forwards SIGINT/SIGTERM to every rank (they agree on the step to stop at and rank 0
// writes the checkpoint), and exits with the first non-zero exit code of a rank (a rank that dies
// makes the others' next collective fail within the timeout).
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { UsageError } from './args.js';
import * as torch from '../torch/index.js';
import type { IO } from './io.js';

const msg = (text: string) => ({ error: text });
const posInt = z.number(msg('expected a positive integer')).refine((v) => Number.isInteger(v) && v > 0, msg('expected a positive integer'));
const nonNegInt = z.number(msg('expected an integer ≥ 0')).refine((v) => Number.isInteger(v) && v >= 0, msg('expected an integer ≥ 0'));

export const DIST_FLAGS = {
  nproc: {
    key: 'nproc',
    kind: 'number' as const,
    schema: posInt.optional(),
    help: 'data-parallel processes on this machine (DDP over Gloo; --batch-size is per process, as torchrun scripts; default 1)',
  },
  nnodes: { key: 'nnodes', kind: 'number' as const, schema: posInt.optional(), help: 'machines taking part (default 1)' },
  'node-rank': { key: 'nodeRank', kind: 'number' as const, schema: nonNegInt.optional(), help: "this machine's index in [0, nnodes) (default 0)" },
  'master-addr': {
    key: 'masterAddr',
    kind: 'string' as const,
    schema: z.string(msg('expected a host name or address')).min(1, msg('expected a host name or address')).optional(),
    help: 'address of node 0, which serves the rendezvous (default 127.0.0.1)',
  },
  'master-port': {
    key: 'masterPort',
    kind: 'number' as const,
    schema: z
      .number(msg('expected a port in 1..65535'))
      .refine((v) => Number.isInteger(v) && v >= 1 && v <= 65535, msg('expected a port in 1..65535'))
      .optional(),
    help: 'its port (default 29500)',
  },
};

interface DistConfig {
  nproc?: number;
  nnodes?: number;
  nodeRank?: number;
  masterAddr?: string;
  masterPort?: number;
  threads?: number;
}

/** True when this process is a rank (started by the launcher, torchrun, or by hand with RANK and WORLD_SIZE). */
export function isRankProcess(): boolean {
  return process.env.RANK !== undefined && process.env.RANK !== '' && process.env.WORLD_SIZE !== undefined && process.env.WORLD_SIZE !== '';
}

/** Whether the config asks for a launch (more than one process in all). */
export function wantsLaunch(cfg: DistConfig): boolean {
  return !isRankProcess() && (cfg.nproc ?? 1) * (cfg.nnodes ?? 1) > 1;
}

export function checkDistConfig(cfg: DistConfig): void {
  const nnodes = cfg.nnodes ?? 1;
  if ((cfg.nodeRank ?? 0) >= nnodes) throw new UsageError(`--node-rank: must be in [0, ${nnodes}) for --nnodes ${nnodes}, got ${cfg.nodeRank}`);
}

/** Starts the local ranks of this command and waits for them; the exit code of the launch. */
export async function launchRanks(trainArgv: string[], cfg: DistConfig, io: IO): Promise<number> {
  checkDistConfig(cfg);
  const nproc = cfg.nproc ?? 1;
  const nnodes = cfg.nnodes ?? 1;
  const nodeRank = cfg.nodeRank ?? 0;
  const world = nproc * nnodes;
  // Threads divided: --threads (or the machine's cores) shared by the local ranks, at least 1 each.
  const total = cfg.threads ?? os.availableParallelism();
  const each = Math.max(1, Math.floor(total / nproc));
  const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'torchmix.mjs');
  io.err(
    `launching ${nproc} rank${nproc > 1 ? 's' : ''} on this machine (world size ${world}, node ${nodeRank} of ${nnodes}), ${each} thread${each > 1 ? 's' : ''} each\n`,
  );
  const children: ChildProcess[] = [];
  const forward = (sig: NodeJS.Signals) => () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill(sig);
  };
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  let failed: NodeJS.Timeout | undefined;
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    const codes = await Promise.all(
      Array.from({ length: nproc }, (_, local) => {
        const rank = nodeRank * nproc + local;
        const child = spawn(process.execPath, [cli, 'train', ...trainArgv], {
          // Its own process group: a terminal's Ctrl-C reaches the launcher only, which forwards it once.
          detached: true,
          stdio: ['ignore', 'inherit', 'inherit'],
          env: {
            ...process.env,
            RANK: String(rank),
            LOCAL_RANK: String(local),
            WORLD_SIZE: String(world),
            LOCAL_WORLD_SIZE: String(nproc),
            GROUP_RANK: String(nodeRank),
            MASTER_ADDR: cfg.masterAddr ?? '127.0.0.1',
            MASTER_PORT: String(cfg.masterPort ?? 29500),
            OMP_NUM_THREADS: String(each),
            TORCHMIX_RANK_THREADS: String(each),
            TORCHMIX_LAUNCHER_PID: String(process.pid),
          },
        });
        children.push(child);
        return new Promise<number>((resolve) => {
          child.on('error', (e) => {
            io.err(`rank ${rank}: could not start: ${e.message}\n`);
            resolve(1);
          });
          child.on('close', (code, signal) => {
            const c = code ?? (signal === 'SIGINT' ? 130 : 1);
            // As torchrun's agent: a failed rank takes the others down (after a grace period to report their own errors).
            if (c !== 0 && c !== 130 && !failed) failed = setTimeout(onTerm, 5000).unref();
            resolve(c);
          });
        });
      }),
    );
    const bad = codes.findIndex((c) => c !== 0);
    if (bad >= 0) {
      if (codes[bad] !== 130) io.err(`rank ${nodeRank * nproc + bad} exited with code ${codes[bad]}\n`);
      return codes[bad];
    }
    return 0;
  } finally {
    clearTimeout(failed);
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}

/**
 * In a rank process: joins the default process group from torchrun's environment; { rank, worldSize }, or undefined when not a rank.
 * A run on CUDA (--device cuda) uses NCCL, each rank on its own GPU (cuda:LOCAL_RANK, as torchrun's users
 * write it); the chosen device is returned. On the CPU: Gloo.
 */
export async function joinGroup(device = 'cpu'): Promise<{ rank: number; worldSize: number; device: string } | undefined> {
  if (!isRankProcess()) return undefined;
  // A rank of our launcher ends when the launcher is gone (its own process group would outlive it).
  const launcher = Number(process.env.TORCHMIX_LAUNCHER_PID);
  if (Number.isSafeInteger(launcher) && launcher > 0)
    setInterval(() => {
      if (process.ppid !== launcher) process.exit(1);
    }, 1000).unref();
  const threads = Number(process.env.TORCHMIX_RANK_THREADS);
  if (Number.isSafeInteger(threads) && threads > 0) torch.setNumThreads(threads);
  const timeout = Number(process.env.TORCHMIX_DIST_TIMEOUT ?? 300_000);
  let backend: 'gloo' | 'nccl' = 'gloo';
  if (device.startsWith('cuda')) {
    const local = torch.distributed.getNodeLocalRank(0);
    if (device === 'cuda') device = `cuda:${local}`;
    backend = 'nccl';
  }
  await torch.distributed.initProcessGroup({ backend, timeout });
  return { rank: torch.distributed.getRank(), worldSize: torch.distributed.getWorldSize(), device };
}
