// nn.utils: gradient clipping, as torch.nn.utils (the native kernels live with the optimizers).
export { clipGradNorm, clipGradValue, type ClipGradNormOptions } from '../optim/clip.js';
