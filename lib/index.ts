// torchmix: import { torch, nn } from 'torchmix'.
export * as torch from './torch/index.js';
export * as nn from './nn/index.js';
