import { N } from './native.js';
import { TorchNotImplementedError, TorchValueError } from './errors.js';

/** True when this LibTorch was built with CUDA and a GPU is visible. */
export function isAvailable(): boolean {
  return N.cudaIsAvailable();
}
export function deviceCount(): number {
  return N.cudaDeviceCount();
}
/** Waits for all kernels on the device (all devices' current streams when index is omitted). */
export function synchronize(index?: number): void {
  N.cudaSynchronize(index);
}

// The device index a memory query names (checked); undefined without CUDA.
function memoryDevice(what: string, device: number | undefined): number | undefined {
  if (device !== undefined && (!Number.isInteger(device) || device < 0))
    throw new TorchValueError(`cuda.${what}(device): device must be a CUDA device index (a non-negative integer), got ${String(device)}`);
  if (!N.cudaIsAvailable()) return undefined;
  if (device !== undefined && device >= N.cudaDeviceCount())
    throw new TorchValueError(`cuda.${what}(device): there is no CUDA device ${device} (${N.cudaDeviceCount()} device(s))`);
  return device ?? 0;
}

// [allocated, reserved, peak allocated, peak reserved] bytes of the caching allocator on one device;
// 0 without CUDA (as PyTorch's, which report 0 before CUDA is initialised).
function deviceMemory(what: string, device: number | undefined): [number, number, number, number] {
  const d = memoryDevice(what, device);
  if (d === undefined) return [0, 0, 0, 0];
  const m = N.cudaMemory(d) as [number, number, number, number];
  if (m[0] < 0) throw new TorchNotImplementedError(`cuda.${what}(): this LibTorch (before 2.9) gives torchmix no allocator statistics`);
  return m;
}
/** Bytes held by live tensors on the device (PyTorch's torch.cuda.memory_allocated). */
export function memoryAllocated(device?: number): number {
  return deviceMemory('memoryAllocated', device)[0];
}
/**
 * Bytes the caching allocator holds on the device, used or cached (torch.cuda.memory_reserved).
 * It only grows until memory is released, so after a loop it is also the loop's peak reserved.
 */
export function memoryReserved(device?: number): number {
  return deviceMemory('memoryReserved', device)[1];
}
/** The most bytes live tensors held on the device since the start or the last resetPeakMemoryStats (torch.cuda.max_memory_allocated). */
export function maxMemoryAllocated(device?: number): number {
  return deviceMemory('maxMemoryAllocated', device)[2];
}
/** The most bytes the caching allocator held on the device since the start or the last reset (torch.cuda.max_memory_reserved). */
export function maxMemoryReserved(device?: number): number {
  return deviceMemory('maxMemoryReserved', device)[3];
}
/** Restarts the peaks (maxMemoryAllocated / maxMemoryReserved) from the current values (torch.cuda.reset_peak_memory_stats). */
export function resetPeakMemoryStats(device?: number): void {
  const d = memoryDevice('resetPeakMemoryStats', device);
  if (d !== undefined && !N.cudaResetPeak(d))
    throw new TorchNotImplementedError('cuda.resetPeakMemoryStats(): this LibTorch (before 2.9) gives torchmix no allocator statistics');
}
