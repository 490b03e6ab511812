// Datasets (one uint8 N×C×H×W or float N×D tensor + int64 labels + class names), the on-device
// DataLoader with batch augmentation, label noise, validation and semi-supervised splits.
export {
  readIdx,
  fashionMnist,
  mnist,
  idxImageDataset,
  DatasetError,
  FASHION_MNIST_DIR,
  FASHION_MNIST_CLASSES,
  MNIST_CLASSES,
  type Dataset,
  type ImageDataset,
} from './idx.js';
export { cifar10, cifar100, CIFAR10_CLASSES, CIFAR100_FINE_CLASSES, CIFAR100_COARSE_CLASSES } from './cifar.js';
export { moons, spirals, blobs } from './toy.js';
export { load, datasetNames } from './registry.js';
export { DataLoader, type LoaderOptions, type Batch, type LoaderDataset } from './loader.js';
export { DistributedSampler, type DistributedSamplerOptions } from './distributed-sampler.js';
export { type AugmentOptions, type CropOptions } from './augment.js';
export { corruptLabels, CIFAR10_ASYMMETRIC_MAP, FASHION_MNIST_ASYMMETRIC_MAP, MNIST_ASYMMETRIC_MAP, type CorruptOptions, type CorruptResult } from './noise.js';
export { trainValSplit, sslSplit } from './split.js';
export { Rng } from './rng.js';
