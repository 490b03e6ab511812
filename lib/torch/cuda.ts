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

// [allocated, reserved] bytes of the caching allocator on one device; 0 without CUDA (as PyTorch's,
// which report 0 before CUDA is initialised).
function deviceMemory(what: string, device: number | undefined): [number, number] {
  if (device !== undefined && (!Number.isInteger(device) || device < 0))
    throw new TorchValueError(`cuda.${what}(device): device must be a CUDA device index (a non-negative integer), got ${String(device)}`);
  if (!N.cudaIsAvailable()) return [0, 0];
  if (device !== undefined && device >= N.cudaDeviceCount())
    throw new TorchValueError(`cuda.${what}(device): there is no CUDA device ${device} (${N.cudaDeviceCount()} device(s))`);
  const m = N.cudaMemory(device ?? 0) as [number, number];
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
