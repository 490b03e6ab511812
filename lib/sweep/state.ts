// What a point's run folder holds: finished, to resume, to start, and whether its robustness.json
// matches the spec's attack settings. Read from the files the train and attack commands write.
import fs from 'node:fs';
import path from 'node:path';
import type { AttackSpec, SweepPoint } from './spec.js';

export interface EpochRecordLike {
  epoch: number;
  [metric: string]: unknown;
}
export interface ResultsLike {
  config: Record<string, unknown>;
  history: { epochs: EpochRecordLike[]; interrupted: boolean; stopped?: { epoch: number; by: string; reason: string } };
  test?: { acc: number; loss: number };
  labelNoise?: { fraction: number; mode: string; rate: number };
  [k: string]: unknown;
}
export interface RobustnessLike {
  results: { attack: string; eps: number; acc: number; loss: number | null; n: number }[];
  [k: string]: unknown;
}

export type TrainState = 'finished' | 'resume' | 'start';

const readJson = <T>(file: string): T | undefined => {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
};
export const readResults = (dir: string): ResultsLike | undefined => readJson<ResultsLike>(path.join(dir, 'results.json'));
export const readRobustness = (dir: string): RobustnessLike | undefined => readJson<RobustnessLike>(path.join(dir, 'robustness.json'));

/** Finished: results.json written at the end of an uninterrupted fit over every configured epoch (or stopped early by a plug-in). */
export function isFinished(r: ResultsLike | undefined, epochs: number): boolean {
  if (!r?.history || r.history.interrupted) return false;
  return r.history.stopped !== undefined || r.history.epochs.length >= epochs;
}

export function trainState(p: SweepPoint): TrainState {
  if (isFinished(readResults(p.dir), p.config.epochs)) return 'finished';
  return fs.existsSync(path.join(p.dir, 'checkpoint.json')) && fs.existsSync(path.join(p.dir, 'checkpoint.safetensors')) ? 'resume' : 'start';
}

/** Keys a run may differ in from its point without being another experiment. */
const RUN_ONLY = new Set(['out', 'resume', 'progress', 'threads']);

/** A started run whose saved config differs from the point's: the spec changed under it. */
export function configMismatch(p: SweepPoint): string | undefined {
  const saved = readJson<Record<string, unknown>>(path.join(p.dir, 'config.json'));
  if (!saved || !fs.existsSync(path.join(p.dir, 'checkpoint.json'))) return undefined;
  const want = p.config as Record<string, unknown>;
  for (const k of new Set([...Object.keys(want), ...Object.keys(saved)])) {
    if (RUN_ONLY.has(k)) continue;
    if (saved[k] === undefined && !(k in saved)) continue; // a setting added since the run started
    if (JSON.stringify(want[k]) !== JSON.stringify(saved[k]))
      return `${k} is ${JSON.stringify(saved[k])} in ${path.join(p.dir, 'config.json')}, the spec says ${JSON.stringify(want[k])}`;
  }
  return undefined;
}

const sameEps = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

/** Does robustness.json hold every attack × ε of the spec, computed with its settings? */
export function robustnessMatches(r: RobustnessLike | undefined, a: AttackSpec): boolean {
  if (!r || !Array.isArray(r.results)) return false;
  for (const name of a.attack) for (const e of a.eps) if (!r.results.some((x) => x.attack === name && sameEps(x.eps, e))) return false;
  // The settings the attack command records (robustness.json settings; split at the top level), with
  // the attack command's defaults for what the spec leaves unset. A file without a setting is not checked on it.
  const rec = { split: r.split, ...((r.settings as Record<string, unknown> | undefined) ?? {}) } as Record<string, unknown>;
  const want: Record<string, unknown> = { steps: a.steps ?? 10, stepSize: a.stepSize ?? null, limit: a.limit ?? null, split: a.split ?? 'test' };
  for (const [k, v] of Object.entries(want)) {
    const have = rec[k];
    if (have === undefined) continue;
    if (typeof v === 'number' && typeof have === 'number' ? !sameEps(v, have) : v !== have) return false;
  }
  return true;
}
