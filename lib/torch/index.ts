// The `torch` namespace: import { torch } from 'torchmix'.
import { N } from './native.js';
import { TorchValueError } from './errors.js';

export { Tensor, type Scalar, type TypedArray, type Reduction, type ReduceOptions } from './tensor.js';
export * from './errors.js';
export { type DType, type Device, type Shape, type TensorOptions, dtypes } from './types.js';
export { type MemoryFormat, memoryFormats } from './memory-format.js';
export { tidy, keep, dispose, memory, setLiveTensorWarning, type MemoryInfo } from './memory.js';
export {
  tensor,
  zeros,
  ones,
  empty,
  full,
  scalarTensor,
  arange,
  linspace,
  eye,
  zerosLike,
  onesLike,
  emptyLike,
  fullLike,
  cat,
  stack,
  where,
} from './creation.js';
export { manualSeed, getRngState, setRngState, rand, randn, randint, randperm, randLike, randnLike, bernoulli, multinomial } from './random.js';
export { noGrad, enableGrad, isGradEnabled } from './autograd.js';
export {
  autocast,
  isAutocastEnabled,
  getAutocastDtype,
  isAutocastDtypeSupported,
  type AutocastOptions,
  type AutocastGuard,
  type AutocastDeviceType,
  type AutocastDType,
} from './autocast.js';
export { Generator } from './generator.js';
// torch.distributed: process groups and collectives (c10d, Gloo).
export * as distributed from '../distributed/index.js';
export * as autograd from './autograd.js';
export * as cuda from './cuda.js';
export { save, load, loadMetadata, toSafetensors, fromSafetensors, type SaveOptions } from './serialize.js';
import { Gamma, Beta } from './random.js';
export const distributions = { Gamma, Beta };

export interface TorchConfig {
  /** LibTorch version, e.g. '2.11.0' or '1.13.0'. */
  version: string;
  /** Built with the C++11 std::string ABI. */
  cxx11Abi: boolean;
  /** The addon links torch_cuda (this LibTorch has CUDA). */
  cudaBuilt: boolean;
  /** CUDA usable now (built with CUDA and a GPU is visible). */
  cuda: boolean;
  cudnn: boolean;
  /** Intra-op threads. */
  threads: number;
  /** Inter-op threads (LibTorch's pool for independent ops; started on first use). */
  interopThreads: number;
  /**
   * glibc malloc as the addon left it at load: 'tuned (mmap threshold …, trim …, top pad …)', or
   * 'system (why)' — TORCHMIX_MALLOC=system, the user's own MALLOC_* / GLIBC_TUNABLES, not glibc
   * (docs/ARCHITECTURE.md, "The allocator at load").
   */
  allocator: string;
}
export function config(): TorchConfig {
  // An addon built before malloc.cc has no N.allocator (it left glibc's defaults).
  return { ...N.config(), allocator: typeof N.allocator === 'function' ? N.allocator() : 'system (addon built before the allocator setting)' };
}
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new TorchValueError(`setNumThreads(): n must be a positive integer, got ${n}`);
  N.setNumThreads(n);
}
export function getNumThreads(): number {
  return N.getNumThreads();
}
