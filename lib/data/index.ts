export { readIdx, fashionMnist, idxImageDataset, DatasetError, FASHION_MNIST_DIR, FASHION_MNIST_CLASSES, type ImageDataset } from './idx.js';
