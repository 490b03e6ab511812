// Flag parsing shared by the commands: node:util parseArgs (strict), every error a UsageError
// (exit code 2) whose message names the flag; unknown flags come with a "did you mean" suggestion.
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A bad flag, value or config entry: the CLI prints the message and exits with code 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Levenshtein distance (for suggestions). */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}

/** The closest candidate when it is close enough to be a plausible typo (or a prefix of it). */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = c.startsWith(word) && word.length >= 2 ? 0.5 : editDistance(word, c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

export const didYouMean = (word: string, candidates: readonly string[], prefix = ''): string => {
  const s = suggest(word, candidates);
  return s === undefined ? '' : ` (did you mean ${prefix}${s}?)`;
};

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs in strict mode with errors turned into UsageErrors that name the flag. */
export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export function parseFlags(argv: string[], options: Options, command: string, opts?: { positionals?: boolean }): Parsed {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: opts?.positionals ?? false }) as Parsed;
  } catch (e) {
    const err = e as Error & { code?: string };
    const msg = err.message ?? String(e);
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const m = /Unknown option '(-{1,2})([^']+)'/.exec(msg);
      const name = m ? m[2].split('=')[0] : '?';
      const flags = Object.keys(options);
      throw new UsageError(
        `${m ? m[1] + name : 'unknown option'}: unknown flag for 'torchmix ${command}'${didYouMean(name, flags, '--')}; see 'torchmix ${command} --help'`,
      );
    }
    if (err.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      const m = /Unexpected argument '([^']+)'/.exec(msg);
      throw new UsageError(
        `unexpected argument '${m ? m[1] : '?'}' for 'torchmix ${command}' (flags take the form --name value); see 'torchmix ${command} --help'`,
      );
    }
    throw new UsageError(msg.replace(/\. To specify.*$/, '').trim());
  }
}

/** One number written as a decimal (1e-3 too) or a fraction a/b (ε = 8/255); undefined when it is neither. */
export function parseNumberOrFraction(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)(?:\/((?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?))?$/i.exec(v.trim());
  if (!m) return undefined;
  const x = m[2] === undefined ? Number(m[1]) : Number(m[1]) / Number(m[2]);
  return Number.isFinite(x) ? x : undefined;
}
