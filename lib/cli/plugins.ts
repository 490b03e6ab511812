// The CLI flag table of the Trainer's plug-ins: each entry is a `torchmix train` flag, its config
// key, its check (zod) and the plug-in it turns into. A plug-in gets a flag by one entry here.
import { z } from 'zod';
import type { Plugin } from '../train/events.js';
import type * as Plugins from '../train/plugins.js';
import { isSsl } from './ssl.js';
import * as torch from '../torch/index.js';

export interface PluginFlag {
  key: string;
  kind: 'number' | 'string';
  help: string;
  schema: z.ZodType;
  /** Another flag's key this one needs (e.g. --monitor needs --early-stop). */
  needs?: string;
  /** A check of the value against the rest of the config and this build (a message, or undefined when fine), run before anything loads. */
  check?: (value: unknown, cfg: Record<string, unknown>) => string | undefined;
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
  amp: {
    key: 'amp',
    kind: 'string',
    schema: z.enum(['bf16', 'fp16'], msg('expected bf16 or fp16')).optional(),
    help: 'bf16|fp16: mixed precision: the forward under torch.autocast in that dtype; fp16 adds loss scaling (amp.GradScaler: steps with inf/NaN gradients skipped). CPU: bf16 (fp16 needs LibTorch 2.x); CUDA: either',
    check(v, cfg) {
      const device = typeof cfg.device === 'string' && cfg.device.startsWith('cuda') ? 'cuda' : 'cpu';
      if (v === 'fp16' && !torch.isAutocastDtypeSupported(device, 'float16'))
        return `fp16 autocast is not supported on ${device} by this LibTorch ${torch.config().version} (its CPU autocast supports bfloat16 only): use --amp bf16`;
      return undefined;
    },
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
  // amp first: it unscales the gradients before clipping reads them
  if (cfg.amp !== undefined) out.push(p.amp({ dtype: cfg.amp as 'bf16' | 'fp16' }));
  if (cfg.clipGrad !== undefined) out.push(p.clipGrad({ maxNorm: cfg.clipGrad as number }));
  if (cfg.ema !== undefined && !isSsl(method)) out.push(p.ema({ decay: cfg.ema as number }));
  if (method === 'mixmatch' && (cfg.weightDecay as number) > 0) out.push(p.decoupledWeightDecay({ weightDecay: cfg.weightDecay as number }));
  if (cfg.earlyStop !== undefined) out.push(p.earlyStopping({ patience: cfg.earlyStop as number, monitor: (cfg.monitor as string | undefined) ?? 'valLoss' }));
  return out;
}
