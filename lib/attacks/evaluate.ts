// Robust accuracy of a classifier over a loader of pixel-space batches: each batch attacked (ε = 0:
// no attack, the clean evaluation), then classified through the normalisation. Loss and correct
// count accumulate on the device; one host read at the end.
import * as torch from '../torch/index.js';
import { crossEntropy } from '../nn/functional.js';
import type { Module } from '../nn/module.js';
import { logitsOf, normTensors, resolveNormalize, type Attack, type AttackName, type AttackOptions } from './common.js';
import { fgsm } from './fgsm.js';
import { bim } from './bim.js';
import { pgd } from './pgd.js';
import { pgdL2 } from './pgdl2.js';

type Tensor = torch.Tensor;

/** Name → attack (the CLI parses names against these keys). */
export const ATTACKS: Record<AttackName, Attack> = { fgsm, bim, pgd, pgdl2: pgdL2 };

/** Each attack's default ε (torchattacks 3.5.1). */
export const DEFAULT_EPS: Record<AttackName, number> = { fgsm: 8 / 255, bim: 8 / 255, pgd: 8 / 255, pgdl2: 1.0 };

export interface EvaluateAttackOptions extends AttackOptions {
  attack: AttackName;
  /** Use only the first `limit` samples of the loader (the last batch cut). */
  limit?: number;
}

export interface AttackEvaluation {
  attack: AttackName;
  eps: number;
  /** Accuracy on the adversarial images, in [0, 1]. */
  acc: number;
  /** Mean cross-entropy of the model on the adversarial images. */
  loss: number;
  n: number;
  seconds: number;
}

const verr = (m: string) => new torch.TorchValueError(`evaluateAttack(): ${m}`);

/**
 * Attacks every batch of `loader` (pixel-space { x, y }: a DataLoader built without normalize) and
 * classifies the result through opts.normalize, in eval mode and without gradients for the
 * classification (the model's mode is restored after).
 */
export function evaluateAttack(model: Module, loader: Iterable<{ x: Tensor; y: Tensor }>, opts: EvaluateAttackOptions): AttackEvaluation {
  if (opts === null || typeof opts !== 'object') throw new torch.TorchTypeError('evaluateAttack(): opts must be { attack, eps?, … }');
  const { attack, limit, ...attackOpts } = opts;
  if (typeof attack !== 'string' || !Object.hasOwn(ATTACKS, attack))
    throw verr(`attack must be one of ${Object.keys(ATTACKS).join(', ')}, got ${JSON.stringify(attack)}`);
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1)) throw verr(`limit must be a positive integer, got ${String(limit)}`);
  if (loader === null || typeof (loader as { [Symbol.iterator]?: unknown })?.[Symbol.iterator] !== 'function')
    throw new torch.TorchTypeError('evaluateAttack(): loader must be an iterable of { x, y } batches');
  const eps = attackOpts.eps ?? DEFAULT_EPS[attack];
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0) throw verr(`eps must be a finite number ≥ 0, got ${String(eps)}`);
  const run = ATTACKS[attack];
  const t0 = performance.now();
  const modes: [Module, boolean][] = [];
  model.apply((m) => void modes.push([m, m.training]));
  let sums: Tensor | null = null;
  let n = 0;
  const it = loader[Symbol.iterator]();
  try {
    model.eval();
    for (;;) {
      if (limit !== undefined && n >= limit) break;
      // The batch is pulled inside the step's scope, so a DataLoader's batch tensors are freed with it.
      const done = torch.tidy(() => {
        const r = it.next();
        if (r.done === true) return true;
        const b = r.value;
        if (!b || !(b.x instanceof torch.Tensor) || !(b.y instanceof torch.Tensor))
          throw new torch.TorchTypeError('evaluateAttack(): loader batches must be { x, y } tensors');
        const k = limit === undefined ? b.x.shape[0] : Math.min(b.x.shape[0], limit - n);
        const x = k === b.x.shape[0] ? b.x : b.x.narrow(0, 0, k);
        const y = (k === b.y.shape[0] ? b.y : b.y.narrow(0, 0, k)).to({ device: x.device });
        const adv = eps === 0 ? x : run(model, x, y, attackOpts);
        torch.noGrad(() => {
          const norm = normTensors({ images: x, norm: resolveNormalize('evaluateAttack', attackOpts.normalize, x.shape[1]) });
          const logits = logitsOf(model, adv, norm, 'evaluateAttack');
          const s = torch.stack([crossEntropy(logits, y, { reduction: 'sum' }).double(), logits.argmax({ dim: 1 }).eq(y).double().sum()]);
          if (sums === null) sums = torch.keep(s);
          else sums.add_(s);
        });
        n += k;
        return false;
      });
      if (done) break;
    }
  } finally {
    it.return?.();
    for (const [m, t] of modes) m.training = t;
  }
  if (sums === null || n === 0) throw verr('the loader yielded no samples');
  const s: Tensor = sums;
  const [lossSum, correct] = torch.tidy(() => Array.from(s.cpu().toArray() as Float64Array));
  s.dispose();
  return { attack, eps, acc: correct / n, loss: lossSum / n, n, seconds: (performance.now() - t0) / 1000 };
}
