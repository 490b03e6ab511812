// The CLI flag table of the Trainer's plug-ins: each entry is a `torchmix train` flag, its config
// key, its check (zod) and the plug-in it turns into. A plug-in gets a flag by one entry here.
import { z } from 'zod';
import type { Plugin } from '../train/events.js';
import type * as Plugins from '../train/plugins.js';
import { isSsl } from './ssl.js';

export interface PluginFlag {
  key: string;
  kind: 'number' | 'string';
  help: string;
  schema: z.ZodType;
  /** Another flag's key this one needs (e.g. --monitor needs --early-stop). */
  needs?: string;
}

const msg = (text: string) => ({ error: text });
const num = (what: string, ok: (v: number) => boolean) => z.number(msg(what)).refine((v) => Number.isFinite(v) && ok(v), msg(what));

export const PLUGIN_FLAGS: Record<string, PluginFlag> = {
  ema: {
    key: 'ema',
    kind: 'number',
    schema: num('expected a decay in (0, 1)', (v) => v > 0 && v < 1).optional(),
    help: 'keep an EMA of the weights with this decay (e.g. 0.999); validation and test are also reported for it (mixmatch/ict: the decay of their own EMA/teacher, default 0.999, which they are evaluated with)',
  },
  'early-stop': {
    key: 'earlyStop',
    kind: 'number',
    schema: num('expected a positive integer', (v) => Number.isInteger(v) && v > 0).optional(),
    help: 'stop after N epochs without improvement of --monitor and restore the best weights',
  },
  monitor: {
    key: 'monitor',
    kind: 'string',
    needs: 'earlyStop',
    schema: z.enum(['valAcc', 'valLoss'], msg('expected one of valAcc, valLoss')).optional(),
    help: 'valAcc|valLoss: what --early-stop watches (default valLoss)',
  },
  'clip-grad': {
    key: 'clipGrad',
    kind: 'number',
    schema: num('expected a number > 0', (v) => v > 0).optional(),
    help: 'clip the gradients to this total norm (2-norm) before every optimizer step',
  },
};

/** The plug-ins a validated config asks for, in the order they run. The semi-supervised methods hold
 *  their own average (--ema sets its decay, lib/cli/ssl.ts); MixMatch's weight decay is decoupled. */
export function pluginsFromConfig(cfg: Record<string, unknown>, p: typeof Plugins): Plugin[] {
  const out: Plugin[] = [];
  const method = String(cfg.method).toLowerCase();
  if (cfg.clipGrad !== undefined) out.push(p.clipGrad({ maxNorm: cfg.clipGrad as number }));
  if (cfg.ema !== undefined && !isSsl(method)) out.push(p.ema({ decay: cfg.ema as number }));
  if (method === 'mixmatch' && (cfg.weightDecay as number) > 0) out.push(p.decoupledWeightDecay({ weightDecay: cfg.weightDecay as number }));
  if (cfg.earlyStop !== undefined) out.push(p.earlyStopping({ patience: cfg.earlyStop as number, monitor: (cfg.monitor as string | undefined) ?? 'valLoss' }));
  return out;
}
