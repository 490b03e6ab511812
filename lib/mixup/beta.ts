// λ ~ Beta(α, α) and mixing partners, drawn on the batch's device from LibTorch's generators
// (torch.manualSeed makes every draw reproducible). Nothing here reads a device tensor back.
import { Tensor } from '../torch/tensor.js';
import { TorchValueError } from '../torch/errors.js';
import { arange, ones, onesLike, zeros, cat, tensor, where } from '../torch/creation.js';
import { rand, randperm, bernoulli, Beta } from '../torch/random.js';
import type { DType, Device } from '../torch/types.js';
import type { LamMode, PartnerMode } from './types.js';

export interface DrawOptions {
  device?: Device;
  /** dtype of λ (float32 unless the batch is float64). */
  dtype?: DType;
}

/**
 * `shape` draws of λ ~ Beta(α, α) on the device, through torch.distributions.Beta (one native
 * call; the same values as PyTorch's Beta after the same seed). α ≤ 0 means no mixing: λ = 1.
 */
export function sampleBeta(alpha: number, shape: readonly number[], opts?: DrawOptions): Tensor {
  const dtype = opts?.dtype ?? 'float32';
  if (!(alpha > 0)) return ones(shape, { dtype, device: opts?.device });
  return new Beta(alpha, alpha, { dtype, device: opts?.device }).sample(shape);
}

/** Partners for a batch of n: a random permutation, or the flip i ↔ n−1−i (int64, on the device). */
export function samplePartner(n: number, partner: PartnerMode, device?: Device): Tensor {
  if (partner === 'flip') return arange(n, { device }).flip(0);
  return randperm(n, { device });
}

/**
 * λ and partners for one batch, by mode (see LamMode in types.ts):
 * - 'batch': λ 0-d; 'elem': λ [n]; partner as `partner` says. opts.prob (default 1) applies
 *   per sample ('elem') or per pair ('pair'); in 'batch' mode the caller decides on the host.
 * - 'pair':  λ [n] with lam[i] = lam[partner[i]] and partner an involution. For 'flip' the pairs
 *   are (i, n−1−i); for 'permutation' a random perfect matching: q = randperm(n), pairs
 *   (q[0], q[1]), (q[2], q[3]), … — with n odd, q[n−1] is its own partner.
 */
export function sampleLamAndPartner(
  n: number,
  alpha: number,
  mode: LamMode,
  partner: PartnerMode,
  opts?: DrawOptions & { prob?: number },
): { lam: Tensor; partner: Tensor } {
  const device = opts?.device;
  const dtype = opts?.dtype ?? 'float32';
  const prob = opts?.prob ?? 1;
  // 'pair' / 'elem': each pair / sample is mixed with probability prob (λ = 1 otherwise), on the device.
  const draw = (k: number) => keepWithProb(sampleBeta(alpha, [k], { device, dtype }), prob);
  if (mode === 'batch') return { lam: sampleBeta(alpha, [], { device, dtype }), partner: samplePartner(n, partner, device) };
  if (mode === 'elem') return { lam: draw(n), partner: samplePartner(n, partner, device) };
  if (mode !== 'pair') throw new TorchValueError(`mode: expected 'batch', 'pair' or 'elem', got '${String(mode)}'`);
  const pairs = Math.ceil(n / 2);
  if (partner === 'flip') {
    const half = draw(pairs);
    const lam = cat([half, half.narrow(0, 0, Math.floor(n / 2)).flip(0)]);
    return { lam, partner: samplePartner(n, 'flip', device) };
  }
  // A random matching: slot s of q pairs with slot s^1 (the last slot of an odd n with itself).
  const q = randperm(n, { device });
  const slot = arange(n, { device });
  const swap = slot
    .add(1)
    .sub(slot.remainder(2).mul(2))
    .clamp({ max: n - 1 });
  const perm = zeros([n], { dtype: 'int64', device }).scatter(0, q, q.indexSelect(0, swap));
  const perPair = draw(pairs);
  const lam = zeros([n], { dtype, device }).scatter(0, q, perPair.indexSelect(0, slot.div(2, { roundingMode: 'floor' })));
  return { lam, partner: perm };
}

/** Each entry of λ kept with probability prob, else 1 (no mixing); drawn on λ's device. */
export function keepWithProb(lam: Tensor, prob: number): Tensor {
  if (prob >= 1) return lam;
  if (prob <= 0) return onesLike(lam);
  return where(bernoulli(lam, prob).gt(0), lam, 1);
}

/**
 * U[0, 1) for a per-batch host decision (mix or not, CutMix or mixup, manifold stage), drawn from
 * LibTorch's CPU generator: reproducible under torch.manualSeed, and reading a CPU tensor is not a
 * device sync even when the batch lives on a GPU.
 */
export function hostUniform(): number {
  const t = rand([1]);
  const u = t.item() as number;
  t.dispose();
  return u;
}

/** An index tensor from numbers or a tensor (moved to the device as int64). */
export function asIndex(p: readonly number[] | Tensor, n: number, device: Device, what: string): Tensor {
  if (p instanceof Tensor) {
    if (p.shape.length !== 1 || p.shape[0] !== n) throw new TorchValueError(`${what}: expected shape [${n}], got [${p.shape.join(', ')}]`);
    return p.to({ device, dtype: 'int64' });
  }
  if (!Array.isArray(p) || p.length !== n || !p.every((v) => Number.isInteger(v) && v >= 0 && v < n))
    throw new TorchValueError(`${what}: expected ${n} integers in [0, ${n - 1}], got ${JSON.stringify(p)}`);
  return tensor(
    BigInt64Array.from(p, (v) => BigInt(v)),
    { device },
  );
}
