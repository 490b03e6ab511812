export { Linear, Identity, Flatten, type FactoryOptions } from './linear.js';
export { Conv2d, type Conv2dOptions } from './conv.js';
export { BatchNorm1d, BatchNorm2d, type BatchNormOptions } from './batchnorm.js';
export { ReLU, LeakyReLU, GELU, Tanh, Sigmoid, Dropout } from './activation.js';
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d } from './pooling.js';
export { Sequential, ModuleList } from './container.js';
