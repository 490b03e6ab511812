// A sweep spec (YAML or JSON): base train settings × explicit points × a grid → named points, each a
// `torchmix train` run in SWEEP/runs/<name>. Everything is validated before anything runs; every error
// names the spec key (`grid.alpha[2]: expected a number > 0, got -1`) or the point and train key.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import YAML from 'yaml';
import { UsageError, didYouMean, parseNumberOrFraction } from '../cli/args.js';
import { trainConfigSchema, resolveConfig, isToy, type TrainConfig } from '../cli/config.js';
import { buildMethod } from '../cli/build.js';
import { ATTACK_NAMES } from '../attacks/common.js';

/** Keys the sweep sets for every point itself. */
const SWEEP_OWNED: Record<string, string> = {
  out: "each point runs in SWEEP/runs/<name>; set the sweep's folder with the spec's top-level out (or --out)",
  resume: 'the sweep resumes unfinished points by itself (rerun the same command)',
  progress: "the points' progress goes to their train.log; the sweep reports progress over the grid",
};
const TRAIN_KEYS = Object.keys(trainConfigSchema.shape) as (keyof TrainConfig)[];

const msg = (text: string) => ({ error: text });
/** ε as a number ≥ 0 or a fraction such as '8/255' (as `torchmix attack --eps` reads it). */
export function parseEps(v: unknown): number | undefined {
  const x = parseNumberOrFraction(v);
  return x !== undefined && x >= 0 ? x : undefined;
}
const posInt = z.number(msg('expected a positive integer')).int(msg('expected a positive integer')).positive(msg('expected a positive integer'));
const settings = z.record(z.string(), z.unknown(), msg('expected an object of train settings (key: value)'));

const specSchema = z.strictObject({
  name: z.string(msg('expected a name')).min(1, msg('expected a name')).optional(),
  out: z.string(msg('expected a folder path')).min(1, msg('expected a folder path')).optional(),
  base: settings.optional(),
  grid: z
    .record(
      z.string(),
      z.array(z.unknown(), msg('expected a list of values')).min(1, msg('expected a non-empty list of values')),
      msg('expected an object of key: [values]'),
    )
    .optional(),
  /** A list of points, or a list of axes (lists of alternatives) whose product is the points. */
  points: z
    .array(
      z.union([settings, z.array(settings, msg('expected a list of objects of train settings')).min(1, msg('expected a non-empty list of alternatives'))], {
        error: 'expected an object of train settings, or a list of them (an axis)',
      }),
      msg('expected a list of points (objects of train settings) or of axes (lists of them)'),
    )
    .min(1, msg('expected a non-empty list of points'))
    .optional(),
  attack: z
    .strictObject(
      {
        attack: z
          .array(z.enum(ATTACK_NAMES, msg(`expected one of ${ATTACK_NAMES.join(', ')}`)), msg('expected a list of attack names'))
          .min(1, msg('expected a non-empty list of attacks')),
        eps: z
          .array(
            z.union([z.number(), z.string()]).refine((v) => parseEps(v) !== undefined, msg("expected a number ≥ 0 or a fraction such as '8/255'")),
            msg('expected a list of ε values'),
          )
          .min(1, msg('expected a non-empty list of ε values')),
        steps: posInt.optional(),
        stepSize: z.number(msg('expected a number > 0')).positive(msg('expected a number > 0')).optional(),
        limit: posInt.optional(),
        split: z.enum(['test', 'train'], msg('expected test or train')).optional(),
      },
      msg('expected { attack: [...], eps: [...], steps?, stepSize?, limit?, split? }'),
    )
    .optional(),
  summary: z
    .strictObject(
      {
        groupBy: z.array(z.string(msg('expected a train key')), msg('expected a list of train keys')).optional(),
        metric: z
          .string(msg('expected an epoch metric such as valAcc'))
          .regex(/^[a-zA-Z]\w*Acc$/, msg('expected an accuracy metric of the epoch records, such as valAcc or emaValAcc'))
          .optional(),
      },
      msg('expected { groupBy?: [keys], metric? }'),
    )
    .optional(),
});
export type SweepSpecInput = z.infer<typeof specSchema>;

export interface AttackSpec {
  attack: string[];
  /** ε values as numbers, and as written in the spec (for display). */
  eps: number[];
  steps?: number;
  stepSize?: number;
  limit?: number;
  split?: 'test' | 'train';
}

export interface SweepPoint {
  /** Deterministic, folder-safe: the point's own keys then the grid keys, `k=v` joined by commas. */
  name: string;
  /** The keys that vary across the sweep (point keys + grid keys) and their values, in spec order. */
  values: Record<string, unknown>;
  /** base + point + grid values: what the point's config file holds. */
  settings: Record<string, unknown>;
  /** The validated train config (out = the run folder; progress none). */
  config: TrainConfig;
  dir: string;
}

export interface Sweep {
  name: string;
  specFile: string;
  out: string;
  /** Keys the grid varies (camelCase), in spec order. */
  gridKeys: string[];
  /** Keys the explicit points set (camelCase), in order of first appearance. */
  pointKeys: string[];
  points: SweepPoint[];
  attack?: AttackSpec;
  groupBy: string[];
  metric: string;
}

const kebabToCamel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
function fmtPath(p: readonly PropertyKey[]): string {
  let s = '';
  for (const k of p) s += typeof k === 'number' ? `[${k}]` : s === '' ? String(k) : `.${String(k)}`;
  return s;
}
const show = (v: unknown) => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v));

/** The keys as the spec wrote them (kebab or camel), for messages. */
const WRITTEN = Symbol('written');
const asWritten = (o: Record<string, unknown>, k: string): string => (o as { [WRITTEN]?: Record<string, string> })[WRITTEN]?.[k] ?? k;

/** Train settings object → camelCase keys, each a known train key the sweep does not own. */
function trainSettings(obj: Record<string, unknown>, where: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const written: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj)) {
    const key = k.includes('-') ? kebabToCamel(k) : k;
    if (!(TRAIN_KEYS as string[]).includes(key)) throw new UsageError(`${where}.${k}: unknown train setting${didYouMean(key, TRAIN_KEYS)}`);
    if (key in SWEEP_OWNED) throw new UsageError(`${where}.${k}: set by the sweep (${SWEEP_OWNED[key]})`);
    if (key in out) throw new UsageError(`${where}.${k}: given twice (as ${written[key]} and ${k})`);
    out[key] = v;
    written[key] = k;
  }
  return Object.defineProperty(out, WRITTEN, { value: written, enumerable: false });
}

/** A single value against the train schema's rule for its key (`grid.alpha[2]: expected a number > 0, got -1`). */
function checkValue(key: string, v: unknown, where: string): void {
  const schema = trainConfigSchema.shape[key as keyof typeof trainConfigSchema.shape] as z.ZodType;
  const r = schema.safeParse(v);
  if (!r.success) {
    const issue = r.error.issues[0];
    const sub = issue.path.length ? `.${fmtPath(issue.path)}` : '';
    throw new UsageError(
      `${where}${sub}: ${issue.code === 'unrecognized_keys' ? `unknown key(s) ${issue.keys.join(', ')}` : `${issue.message}, got ${show(v)}`}`,
    );
  }
}

/** A value as it appears in a point's name: numbers and strings as written, objects as compact JSON. */
function nameValue(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
}
/** Folder-safe: letters, digits and . _ - = , + kept; anything else becomes '_'. */
export const safeName = (s: string): string => s.replace(/[^A-Za-z0-9._=,+-]/g, '_');

/** Reads the spec file (JSON by extension, else YAML). */
export function readSpecFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`SPEC: cannot read '${file}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return path.extname(file).toLowerCase() === '.json' ? JSON.parse(text) : YAML.parse(text);
  } catch (e) {
    throw new UsageError(
      `${path.basename(file)}: not valid ${path.extname(file).toLowerCase() === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`,
    );
  }
}

/**
 * Validates a spec and expands it: points = (explicit points — or the product of the axes when points is
 * a list of lists — or one empty point) × the grid's
 * cartesian product (grid keys vary fastest in their spec order, the last key fastest), each over base.
 * Throws a UsageError naming the key; nothing is written.
 */
export function expandSweep(raw: unknown, opts: { specFile: string; out?: string }): Sweep {
  const file = path.basename(opts.specFile);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new UsageError(`${file}: expected an object with base, grid, points, attack, summary`);
  const r = specSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    if (issue.code === 'unrecognized_keys') {
      const known = issue.path.length === 0 ? Object.keys(specSchema.shape) : undefined;
      throw new UsageError(
        `${file}: ${issue.keys.map((k) => fmtPath([...issue.path, k])).join(', ')}: unknown key${known ? `${didYouMean(issue.keys[0], known)} (known: ${known.join(', ')})` : ''}`,
      );
    }
    let value: unknown = raw;
    for (const p of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[p as string];
    throw new UsageError(`${file}: ${fmtPath(issue.path) || '(top level)'}: ${issue.message}${value !== undefined ? `, got ${show(value)}` : ''}`);
  }
  const spec = r.data;
  const base = trainSettings(spec.base ?? {}, `${file}: base`);
  for (const [k, v] of Object.entries(base)) checkValue(k, v, `${file}: base.${asWritten(base, k)}`);

  const grid: [string, unknown[]][] = [];
  const gridRaw = trainSettings(spec.grid ?? {}, `${file}: grid`) as Record<string, unknown[]>;
  for (const [k, vs] of Object.entries(gridRaw)) {
    const orig = asWritten(gridRaw, k);
    vs.forEach((v, i) => checkValue(k, v, `${file}: grid.${orig}[${i}]`));
    const seen = new Set<string>();
    vs.forEach((v, i) => {
      const s = JSON.stringify(v);
      if (seen.has(s)) throw new UsageError(`${file}: grid.${orig}[${i}]: ${show(v)} is listed twice`);
      seen.add(s);
    });
    if (k in base) throw new UsageError(`${file}: grid.${orig}: also set in base; set it in one place`);
    grid.push([k, vs]);
  }
  const gridKeys = grid.map(([k]) => k);

  const checkPoint = (p: Record<string, unknown>, where: string) => {
    const s = trainSettings(p, `${file}: ${where}`);
    for (const [k, v] of Object.entries(s)) {
      checkValue(k, v, `${file}: ${where}.${asWritten(s, k)}`);
      if (gridKeys.includes(k)) throw new UsageError(`${file}: ${where}.${asWritten(s, k)}: also a grid key; a point sets only what the grid does not vary`);
    }
    return s;
  };
  // Explicit points: a list of points, or a list of axes (each a list of alternatives) crossed in order.
  const rawPoints = spec.points ?? [{}];
  const axes = rawPoints.filter((p) => Array.isArray(p)).length;
  if (axes && axes < rawPoints.length)
    throw new UsageError(
      `${file}: points[${rawPoints.findIndex((p) => !Array.isArray(p))}]: the points are a list of axes (lists of alternatives) here, so every entry must be a list`,
    );
  let explicit: Record<string, unknown>[];
  const explicitWhere: string[] = [];
  if (axes) {
    let acc: { values: Record<string, unknown>; where: string }[] = [{ values: {}, where: '' }];
    (rawPoints as Record<string, unknown>[][]).forEach((axis, ai) => {
      const alts = axis.map((p, j) => ({ values: checkPoint(p, `points[${ai}][${j}]`), j }));
      acc = acc.flatMap((a) =>
        alts.map((alt) => {
          for (const k of Object.keys(alt.values))
            if (k in a.values) throw new UsageError(`${file}: points[${ai}][${alt.j}].${asWritten(alt.values, k)}: also set by an earlier axis`);
          return { values: { ...a.values, ...alt.values }, where: `${a.where}${a.where ? ' × ' : ''}points[${ai}][${alt.j}]` };
        }),
      );
    });
    explicit = acc.map((a) => a.values);
    explicitWhere.push(...acc.map((a) => a.where));
  } else {
    explicit = (rawPoints as Record<string, unknown>[]).map((p, i) => checkPoint(p, `points[${i}]`));
    explicitWhere.push(...explicit.map((_, i) => `points[${i}]`));
  }
  // In order of first appearance: by axis, then within the axis (the points' names follow it too).
  const pointKeys: string[] = [];
  const keySources = axes ? (rawPoints as Record<string, unknown>[][]).flatMap((axis) => axis.map((p) => trainSettings(p, file))) : explicit;
  for (const p of keySources) for (const k of Object.keys(p)) if (!pointKeys.includes(k)) pointKeys.push(k);
  const ordered = (v: Record<string, unknown>) => Object.fromEntries(pointKeys.filter((k) => k in v).map((k) => [k, v[k]]));
  explicit = explicit.map(ordered);

  // Cartesian product, the last grid key fastest.
  let combos: Record<string, unknown>[] = [{}];
  for (const [k, vs] of grid) combos = combos.flatMap((c) => vs.map((v) => ({ ...c, [k]: v })));

  const out = opts.out ?? spec.out ?? path.join('sweeps', spec.name ?? path.basename(opts.specFile).replace(/\.(ya?ml|json)$/i, ''));
  const points: SweepPoint[] = [];
  const byName = new Map<string, string>();
  explicit.forEach((p, pi) => {
    for (const c of combos) {
      const values = { ...p, ...c };
      const label = Object.entries(values)
        .map(([k, v]) => `${k}=${nameValue(v)}`)
        .join(',');
      const name = safeName(label || 'base');
      const where = spec.points ? `${explicitWhere[pi]}${gridKeys.length ? ' × grid' : ''}` : 'grid';
      if (byName.has(name)) throw new UsageError(`${file}: ${where}: point '${name}' appears twice (also from ${byName.get(name)})`);
      byName.set(name, where);
      const dir = path.join(out, 'runs', name);
      const settings = { ...base, ...values };
      let config: TrainConfig;
      try {
        config = resolveConfig([{ values: { ...settings, out: dir, progress: 'none' }, origin: { kind: 'saved', file: `point ${name}` } }]);
        // The method's own checks (unknown name, an α it has not); train saves its canonical name.
        config = { ...config, method: buildMethod(config).name };
      } catch (e) {
        if (e instanceof UsageError) throw new UsageError(`${file}: ${e.message.startsWith('point ') ? '' : `point ${name}: `}${e.message.replace(/^--/, '')}`);
        throw e;
      }
      if (spec.attack && isToy(config.dataset))
        throw new UsageError(
          `${file}: attack: point ${name} trains on the toy set '${config.dataset}', whose 2-D points are not pixels; 'torchmix attack' takes image datasets only`,
        );
      points.push({ name, values, settings, config, dir });
    }
  });

  const varying = [...pointKeys, ...gridKeys];
  const groupBy =
    spec.summary?.groupBy?.map((k, i) => {
      const key = k.includes('-') ? kebabToCamel(k) : k;
      if (!(TRAIN_KEYS as string[]).includes(key))
        throw new UsageError(`${file}: summary.groupBy[${i}]: unknown train setting '${k}'${didYouMean(key, TRAIN_KEYS)}`);
      return key;
    }) ?? varying.filter((k) => k !== 'seed');
  let attack: AttackSpec | undefined;
  if (spec.attack) {
    const a = spec.attack;
    attack = { attack: [...new Set(a.attack)], eps: a.eps.map((e) => parseEps(e)!) };
    if (a.steps !== undefined) attack.steps = a.steps;
    if (a.stepSize !== undefined) attack.stepSize = a.stepSize;
    if (a.limit !== undefined) attack.limit = a.limit;
    if (a.split !== undefined) attack.split = a.split;
  }
  return {
    name: spec.name ?? path.basename(opts.specFile).replace(/\.(ya?ml|json)$/i, ''),
    specFile: opts.specFile,
    out,
    gridKeys,
    pointKeys,
    points,
    ...(attack ? { attack } : {}),
    groupBy,
    metric: spec.summary?.metric ?? 'valAcc',
  };
}

/** Reads and expands a spec file. */
export function loadSweep(specFile: string, opts: { out?: string } = {}): Sweep {
  return expandSweep(readSpecFile(specFile), { specFile, ...opts });
}
