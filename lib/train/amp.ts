// Mixed precision (train.plugins.amp / --amp bf16|fp16): PyTorch's recipe on the Trainer's events.
// The method's step (forward and loss) runs inside torch.autocast; backward runs outside it, on the
// float32 weights. With float16 a GradScaler scales the loss before backward (transformLoss),
// unscales the gradients in afterBackward — before any later plug-in reads them (clipGrad, so its
// norm is of the true gradients) — and does the optimizer step (optimizerStep): skipped when a
// gradient is inf/NaN, then the scale is updated. bfloat16 has float32's range: no scaler (unless
// one is given). The scaler's state goes into checkpoints, so a resumed run keeps its scale.
// Validation runs in float32.
import * as torch from '../torch/index.js';
import { GradScaler } from '../amp/grad-scaler.js';
import type { Plugin } from './events.js';

export interface AmpOptions {
  /** Default as torch.autocast's: 'bfloat16' on the CPU, 'float16' on CUDA. 'bf16' / 'fp16' are accepted too. */
  dtype?: 'bfloat16' | 'float16' | 'bf16' | 'fp16';
  /** Default: the train loader's device type. */
  device?: 'cpu' | 'cuda';
  /** The loss scaler: default a new amp.GradScaler for float16, none for bfloat16; false: none. */
  scaler?: GradScaler | false;
}

export interface AmpPlugin extends Plugin {
  readonly dtype: 'bfloat16' | 'float16';
  /** The scaler in use (after the Trainer's setup); undefined without one. */
  readonly scaler: GradScaler | undefined;
}

const DTYPES = { bfloat16: 'bfloat16', bf16: 'bfloat16', float16: 'float16', fp16: 'float16' } as const;

export function amp(opts: AmpOptions = {}): AmpPlugin {
  if (opts === null || typeof opts !== 'object') throw new torch.TorchTypeError('amp(opts): opts must be an object { dtype?, device?, scaler? }');
  if (opts.dtype !== undefined && !(opts.dtype in DTYPES))
    throw new torch.TorchValueError(`amp: dtype must be one of bfloat16, float16 (or bf16, fp16), got ${JSON.stringify(opts.dtype) ?? String(opts.dtype)}`);
  if (opts.device !== undefined && opts.device !== 'cpu' && opts.device !== 'cuda')
    throw new torch.TorchValueError(`amp: device must be 'cpu' or 'cuda', got ${JSON.stringify(opts.device) ?? String(opts.device)}`);
  if (opts.scaler !== undefined && opts.scaler !== false && !(opts.scaler instanceof GradScaler))
    throw new torch.TorchTypeError('amp: scaler must be an amp.GradScaler or false');
  let device: 'cpu' | 'cuda' = opts.device ?? 'cpu';
  let dtype: 'bfloat16' | 'float16' = opts.dtype ? DTYPES[opts.dtype] : 'bfloat16';
  let scaler: GradScaler | undefined;
  let optimizer: Parameters<GradScaler['step']>[0];
  const plugin: AmpPlugin = {
    name: 'amp',
    get dtype() {
      return dtype;
    },
    get scaler() {
      return scaler;
    },
    setup(t) {
      device = opts.device ?? (t.train.device.startsWith('cuda') ? 'cuda' : 'cpu');
      dtype = opts.dtype ? DTYPES[opts.dtype] : device === 'cuda' ? 'float16' : 'bfloat16';
      if (device === 'cuda' && !torch.cuda.isAvailable()) throw new torch.TorchError("amp: device 'cuda' but CUDA is not available");
      if (!torch.isAutocastDtypeSupported(device, dtype))
        throw new torch.TorchValueError(
          `amp: ${dtype} autocast is not supported on ${device} by this LibTorch ${torch.config().version}${device === 'cpu' ? ' (its CPU autocast supports bfloat16 only: use bf16)' : ''}`,
        );
      scaler = opts.scaler === false ? undefined : (opts.scaler ?? (dtype === 'float16' ? new GradScaler({ device }) : undefined));
      optimizer = t.optimizer;
      // The gradients must be unscaled before any other plug-in reads them in afterBackward.
      const mine = t.plugins.indexOf(plugin);
      const before = t.plugins.slice(0, mine).filter((p) => typeof p.afterBackward === 'function');
      if (scaler && before.length)
        throw new torch.TorchValueError(
          `amp: put the amp plug-in before ${before.map((p) => `'${p.name}'`).join(', ')} in plugins: it unscales the gradients in afterBackward, which ${before.length > 1 ? 'they read' : 'that one reads'} first otherwise`,
        );
    },
    forwardContext() {
      return torch.autocast({ deviceType: device, dtype });
    },
    transformLoss(_s, loss) {
      return scaler ? scaler.scale(loss) : loss;
    },
    afterBackward() {
      scaler?.unscale_(optimizer);
    },
    optimizerStep() {
      if (!scaler) {
        optimizer.step();
        return true;
      }
      const skipped = scaler.skippedSteps;
      scaler.step(optimizer);
      scaler.update();
      return scaler.skippedSteps === skipped;
    },
    state() {
      return scaler ? { values: scaler.stateDict() } : {};
    },
    loadState(st) {
      if (scaler && st?.values && Object.keys(st.values).length) scaler.loadStateDict(st.values);
    },
    fitEnd() {
      scaler?.dispose(); // keeps its scale as a number: a later fit() continues from it
    },
  };
  return plugin;
}
