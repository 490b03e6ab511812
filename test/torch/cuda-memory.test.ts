// torch.cuda.memoryAllocated / memoryReserved and the peaks (maxMemoryAllocated / maxMemoryReserved /
// resetPeakMemoryStats): 0 without CUDA as PyTorch's, bad device indices named, and on a GPU they
// follow a tensor's allocation and free.
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

  it('the peaks: bad device indices are named; without CUDA all 0 and the reset a no-op', () => {
    expect(() => torch.cuda.maxMemoryAllocated(-1)).toThrow(/cuda\.maxMemoryAllocated\(device\): device must be a CUDA device index/);
    expect(() => torch.cuda.resetPeakMemoryStats(0.5)).toThrow(/cuda\.resetPeakMemoryStats\(device\): device must be a CUDA device index/);
    if (CUDA) return;
    torch.cuda.resetPeakMemoryStats();
    expect([torch.cuda.maxMemoryAllocated(), torch.cuda.maxMemoryReserved(0)]).toEqual([0, 0]);
  });
  it.skipIf(!CUDA)('CUDA: a freed 8 MiB tensor stays in the peak until resetPeakMemoryStats (skipped without CUDA)', () => {
    torch.cuda.synchronize();
    torch.cuda.resetPeakMemoryStats();
    const base = torch.cuda.memoryAllocated();
    expect(torch.cuda.maxMemoryAllocated()).toBe(base);
    const t = torch.zeros([2 << 20], { device: 'cuda' });
    t.dispose();
    expect(torch.cuda.memoryAllocated()).toBe(base);
    expect(torch.cuda.maxMemoryAllocated() - base).toBeGreaterThanOrEqual(8 << 20);
    expect(torch.cuda.maxMemoryReserved()).toBeGreaterThanOrEqual(torch.cuda.maxMemoryAllocated());
    torch.cuda.resetPeakMemoryStats(0);
    expect(torch.cuda.maxMemoryAllocated(0)).toBe(base);
    expect(() => torch.cuda.resetPeakMemoryStats(torch.cuda.deviceCount())).toThrow(/there is no CUDA device/);
  });
});
