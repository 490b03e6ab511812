// Tensors from JS numbers: JS has no `1.0`, so torch.tensor([1, 2, 3]) is int64 (as PyTorch infers
// from Python ints). With requiresGrad and no dtype it is float32 instead; and every LibTorch error
// about an int64 / non-floating tensor ends with the hint saying how to get floats.
import { describe, it, expect } from 'vitest';
import { torch, nn } from '../../lib/index.js';
const F = nn.functional;

const HINT = "(JS integers infer int64: pass { dtype: 'float32' } to torch.tensor, or write .float())";
const is113 = torch.config().version.startsWith('1.');

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

describe('torch.tensor with requiresGrad infers float32 from JS integers', () => {
  it('the issue: torch.tensor([1, 2, 3], { requiresGrad: true }) is a float32 leaf that trains', () => {
    const t = torch.tensor([1, 2, 3], { requiresGrad: true });
    expect(t.dtype).toBe('float32');
    expect(t.requiresGrad).toBe(true);
    expect(t.isLeaf).toBe(true);
    expect(Array.from(t.toArray() as Float32Array)).toEqual([1, 2, 3]);
    t.mul(t).sum().backward();
    expect(Array.from(t.grad!.toArray() as Float32Array)).toEqual([2, 4, 6]);
  });
  it('nested arrays and scalars too; a given dtype wins; without requiresGrad integers stay int64', () => {
    expect(
      torch.tensor(
        [
          [1, 2],
          [3, 4],
        ],
        { requiresGrad: true },
      ).dtype,
    ).toBe('float32');
    const s = torch.tensor(3, { requiresGrad: true });
    expect([s.dtype, s.shape, s.item()]).toEqual(['float32', [], 3]);
    expect(torch.tensor([1, 2], { requiresGrad: true, dtype: 'float64' }).dtype).toBe('float64');
    expect(torch.tensor([1, 2]).dtype).toBe('int64');
    expect(torch.tensor([1, 2], { requiresGrad: false }).dtype).toBe('int64');
    expect(torch.tensor([1.5, 2], { requiresGrad: true }).dtype).toBe('float32');
    // large integers keep their value as float32 does (2^24 + 1 rounds, as in PyTorch's float32)
    expect(torch.tensor([2 ** 24 + 1], { requiresGrad: true }).item()).toBe(2 ** 24);
  });
  it('an explicit integer dtype, bigints and integer typed arrays keep their dtype and fail with the hint', () => {
    const msg = `Only Tensors of floating point and complex dtype can require gradients ${HINT}`;
    expect(() => torch.tensor([1, 2], { requiresGrad: true, dtype: 'int64' })).toThrow(msg);
    expect(() => torch.tensor([1n, 2n], { requiresGrad: true })).toThrow(msg);
    expect(() => torch.tensor(Int32Array.from([1, 2]), { requiresGrad: true })).toThrow(msg);
    expect(() => torch.tensor([1, 2]).requiresGrad_()).toThrow(msg);
  });
});

describe('LibTorch errors about int64 tensors say how to get floats', () => {
  const ints = () =>
    torch.tensor([
      [1, 2],
      [3, 4],
    ]);
  it('mean, softmax, logSoftmax, std: the exact messages, with the class kept', () => {
    const mean = thrown(() => ints().mean());
    expect(mean).toBeInstanceOf(torch.TorchError);
    expect(mean.message).toBe(`mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: Long ${HINT}`);
    const ls = thrown(() => F.logSoftmax(ints(), 1));
    expect(ls).toBeInstanceOf(torch.TorchNotImplementedError);
    expect(ls.message).toBe(`"log_softmax_lastdim_kernel_impl" not implemented for 'Long' ${HINT}`);
    expect(thrown(() => F.softmax(ints(), 1)).message).toBe(`"softmax_lastdim_kernel_impl" not implemented for 'Long' ${HINT}`);
    expect(thrown(() => ints().std()).message).toBe(`std and var only support floating point and complex dtypes ${HINT}`);
  });
  it('F.linear / matmul with an int64 input, on either LibTorch', () => {
    const w = torch.randn([3, 2]);
    const want = is113 ? 'expected scalar type Long but found Float' : 'expected m1 and m2 to have the same dtype, but got: long int != float';
    expect(thrown(() => F.linear(ints(), w)).message).toBe(`${want} ${HINT}`);
    expect(thrown(() => ints().matmul(torch.randn([2, 2]))).message).toBe(`${want} ${HINT}`);
  });
  it('in-place float ops on an int64 tensor: div_(2), mul_(0.5)', () => {
    const want = `result type Float can't be cast to the desired output type Long ${HINT}`;
    expect(thrown(() => ints().div_(2)).message).toBe(want);
    expect(thrown(() => ints().mul_(0.5)).message).toBe(want);
  });
  it('float class indices in crossEntropy / nllLoss name the target, not the int64 hint', () => {
    const x = torch.randn([4, 3]);
    const t = torch.tensor([0, 1, 2, 1], { dtype: 'float32' });
    const ce = thrown(() => F.crossEntropy(x, t));
    expect(ce).toBeInstanceOf(torch.TorchTypeError);
    expect(ce.message).toBe(
      "crossEntropy(target): expected int64 class indices of shape [4], or class probabilities of the input's shape [4, 3]; got float32 of shape [4] (for class indices write target.long())",
    );
    expect(thrown(() => F.nllLoss(x, t)).message).toBe(
      'nllLoss(target): expected int64 class indices; got float32 of shape [4] (for class indices write target.long())',
    );
    // the message is built after LibTorch rejected the call: its label-smoothing and weighted paths reject too
    expect(thrown(() => F.crossEntropy(x, t, { labelSmoothing: 0.1 })).message).toBe(ce.message);
    expect(thrown(() => F.nllLoss(x, t, { weight: torch.ones([3]), reduction: 'sum' })).message).toMatch(/^nllLoss\(target\): expected int64 class indices;/);
    expect(thrown(() => F.crossEntropy(torch.randn([3]), torch.tensor(1, { dtype: 'float32' }))).message).toMatch(/^crossEntropy\(target\): expected int64/);
    // both accepted forms still work and agree: indices, and their one-hot probabilities
    const byIndex = Number(F.crossEntropy(x, t.long()).item());
    expect(F.crossEntropy(x, F.oneHot(t.long(), 3).float()).item()).toBeCloseTo(byIndex, 6);
  });
  it('other errors are left alone, and the hint is never doubled', () => {
    expect(thrown(() => torch.randn([3]).indexSelect(0, torch.tensor([0.5]))).message).toBe('index_select(): Expected dtype int32 or int64 for index');
    const e = thrown(() => ints().mean());
    expect(new torch.TorchError(e.message).message).toBe(e.message);
    expect(new torch.TorchValueError('shape [2] is invalid').message).toBe('shape [2] is invalid');
    // the fix the hint names works
    expect(ints().float().mean().item()).toBe(2.5);
    expect(
      torch
        .tensor(
          [
            [1, 2],
            [3, 4],
          ],
          { dtype: 'float32' },
        )
        .mean()
        .item(),
    ).toBe(2.5);
  });
});
