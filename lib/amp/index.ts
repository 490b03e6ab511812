// The `amp` namespace (automatic mixed precision): import { amp } from 'torchmix'. Autocast itself is
// torch.autocast (lib/torch/autocast.ts); loss scaling lives here because it works on optimizers.
export { GradScaler, type GradScalerOptions, type GradScalerState } from './grad-scaler.js';
