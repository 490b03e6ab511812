// torch.cuda.memoryAllocated / memoryReserved (the caching allocator's statistics): 0 without CUDA as
// PyTorch's, bad device indices named, and on a GPU they follow a tensor's allocation and free.
import { describe, expect, it } from 'vitest';
import { torch } from '../../lib/index.js';

const CUDA = torch.cuda.isAvailable();

describe('cuda.memoryAllocated / memoryReserved', () => {
  it('a device index that is not a non-negative integer is a TorchValueError naming it', () => {
    for (const bad of [-1, 0.5, NaN]) {
      expect(() => torch.cuda.memoryAllocated(bad)).toThrow(torch.TorchValueError);
      expect(() => torch.cuda.memoryReserved(bad)).toThrow(/cuda\.memoryReserved\(device\): device must be a CUDA device index/);
    }
  });
  it.skipIf(CUDA)('without CUDA both are 0, as memory() reports (skipped where CUDA is available)', () => {
    expect(torch.cuda.memoryAllocated()).toBe(0);
    expect(torch.cuda.memoryReserved()).toBe(0);
    expect(torch.cuda.memoryAllocated(0)).toBe(0);
    expect(torch.memory().cudaAllocated).toBe(0);
  });
  it.skipIf(!CUDA)(
    'CUDA: a 4 MiB float32 tensor adds at least 4 MiB allocated and returns it when disposed; reserved ≥ allocated (skipped without CUDA)',
    () => {
      torch.cuda.synchronize();
      const before = torch.cuda.memoryAllocated();
      const t = torch.zeros([1 << 20], { device: 'cuda' });
      const during = torch.cuda.memoryAllocated();
      expect(during - before).toBeGreaterThanOrEqual(4 << 20);
      expect(torch.cuda.memoryReserved()).toBeGreaterThanOrEqual(during);
      expect(torch.cuda.memoryAllocated(0)).toBe(during);
      t.dispose();
      expect(torch.cuda.memoryAllocated()).toBe(before);
      expect(() => torch.cuda.memoryAllocated(torch.cuda.deviceCount())).toThrow(/there is no CUDA device/);
    },
  );
});
