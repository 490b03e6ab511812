import { N } from './native.js';

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
