// torchmix: import { torch, nn, optim, data, mixup, train } from 'torchmix'.
export * as torch from './torch/index.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export * as data from './data/index.js';
export * as mixup from './mixup/index.js';
export * as train from './train/index.js';
export * as attacks from './attacks/index.js';
export * as amp from './amp/index.js';
