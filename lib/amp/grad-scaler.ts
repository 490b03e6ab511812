// GradScaler: dynamic loss scaling for float16 mixed precision, with PyTorch's semantics
// (torch/amp/grad_scaler.py): scale(loss) multiplies by the scale; unscale_(optimizer) divides the
// optimizer's gradients by it and records whether any is inf/NaN (one native pass over all
// gradients, no host read); step(optimizer) skips optimizer.step() when one was (the one host read
// of the step); update() backs the scale off after a skipped step and grows it after
// growthInterval good steps in a row. The scale and the growth tracker are 0-d device tensors, made
// on the first scale() on the loss's device, as PyTorch does.
//
//   const scaler = new amp.GradScaler();
//   scaler.scale(loss).backward(); scaler.unscale_(opt); clipGradNorm(…); scaler.step(opt); scaler.update();
//
// Exported as `amp` from the package root (import { amp } from 'torchmix'), not under `torch`:
// it works on optimizers, a layer above lib/torch.
import * as torch from '../torch/index.js';
import { N } from '../torch/native.js';
import { tid, tids } from '../torch/tensor.js';
import type { Optimizer } from '../optim/optimizers.js';

type Tensor = torch.Tensor;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyOptimizer = Optimizer<any>;

export interface GradScalerOptions {
  /** Where the scale lives when none was made yet (PyTorch's device; informational: the scale follows the first loss). Default 'cuda' as PyTorch's when CUDA is available, else 'cpu'. */
  device?: 'cpu' | 'cuda';
  initScale?: number;
  /** > 1. */
  growthFactor?: number;
  /** In (0, 1). */
  backoffFactor?: number;
  /** Good steps in a row before the scale grows (a positive integer). */
  growthInterval?: number;
  /** false: every method passes through (scale(x) returns x, step() just steps). */
  enabled?: boolean;
}

/** What stateDict() returns (PyTorch's keys, camelCased; empty when disabled). */
export interface GradScalerState {
  scale?: number;
  growthFactor?: number;
  backoffFactor?: number;
  growthInterval?: number;
  growthTracker?: number;
}

type Stage = 'ready' | 'unscaled' | 'stepped';
interface OptState {
  stage: Stage;
  /** 0-d float32 on the scale's device: 1 when a gradient was inf/NaN; undefined until unscale_ found gradients. */
  foundInf?: Tensor;
}

const verr = (m: string) => new torch.TorchValueError(`GradScaler: ${m}`);

export class GradScaler {
  readonly device: 'cpu' | 'cuda';
  private readonly enabled: boolean;
  private initScale: number;
  private growthFactor: number;
  private backoffFactor: number;
  private growthInterval: number;
  private initGrowthTracker = 0;
  private scaleT?: Tensor;
  private trackerT?: Tensor;
  private perOpt = new Map<AnyOptimizer, OptState>();
  /** Steps step() skipped because a gradient was inf/NaN (not checkpointed; counts this object's steps). */
  skippedSteps = 0;

  constructor(opts: GradScalerOptions = {}) {
    if (opts === null || typeof opts !== 'object') throw new torch.TorchTypeError('GradScaler(opts): opts must be an object');
    const known = ['device', 'initScale', 'growthFactor', 'backoffFactor', 'growthInterval', 'enabled'];
    const bad = Object.keys(opts).find((k) => !known.includes(k));
    if (bad) throw verr(`unknown option '${bad}' (options: ${known.join(', ')})`);
    const device = opts.device ?? (torch.cuda.isAvailable() ? 'cuda' : 'cpu');
    if (device !== 'cpu' && device !== 'cuda') throw verr(`device must be 'cpu' or 'cuda', got ${String(device)}`);
    if (opts.enabled !== undefined && typeof opts.enabled !== 'boolean')
      throw new torch.TorchTypeError(`GradScaler: enabled must be a boolean, got ${String(opts.enabled)}`);
    this.device = device;
    this.enabled = opts.enabled ?? true;
    if (this.enabled && device === 'cuda' && !torch.cuda.isAvailable())
      throw new torch.TorchError("GradScaler: device 'cuda' but CUDA is not available (use device: 'cpu', or enabled: false)");
    const { initScale = 2 ** 16, growthFactor = 2, backoffFactor = 0.5, growthInterval = 2000 } = opts;
    if (typeof initScale !== 'number' || !(initScale > 0) || !Number.isFinite(initScale))
      throw verr(`initScale must be a finite number > 0, got ${String(initScale)}`);
    if (typeof growthFactor !== 'number' || !(growthFactor > 1) || !Number.isFinite(growthFactor))
      throw verr(`growthFactor must be a finite number > 1, got ${String(growthFactor)}`);
    if (typeof backoffFactor !== 'number' || !(backoffFactor > 0 && backoffFactor < 1))
      throw verr(`backoffFactor must be in (0, 1), got ${String(backoffFactor)}`);
    if (!Number.isInteger(growthInterval) || growthInterval < 1) throw verr(`growthInterval must be a positive integer, got ${String(growthInterval)}`);
    this.initScale = initScale;
    this.growthFactor = growthFactor;
    this.backoffFactor = backoffFactor;
    this.growthInterval = growthInterval;
  }

  isEnabled(): boolean {
    return this.enabled;
  }

  private lazyInit(device: torch.Device): void {
    torch.tidy(() => {
      this.scaleT = torch.keep(torch.full([], this.initScale, { dtype: 'float32', device }));
      this.trackerT = torch.keep(torch.full([], this.initGrowthTracker, { dtype: 'int32', device }));
    });
  }

  private checkInit(what: string): Tensor {
    if (this.scaleT === undefined)
      throw new torch.TorchError(`GradScaler: ${what}() before scale(): this scaler has not scaled a loss yet (call scaler.scale(loss).backward() first)`);
    return this.scaleT;
  }

  private state(opt: AnyOptimizer): OptState {
    if (opt === null || typeof opt !== 'object' || !Array.isArray(opt.paramGroups))
      throw new torch.TorchTypeError('GradScaler: expected an optimizer (optim.SGD, Adam, …)');
    let st = this.perOpt.get(opt);
    if (!st) this.perOpt.set(opt, (st = { stage: 'ready' }));
    return st;
  }

  /** outputs × scale (a tensor or an array of tensors); unchanged when disabled. */
  scale(outputs: Tensor): Tensor;
  scale(outputs: readonly Tensor[]): Tensor[];
  scale(outputs: Tensor | readonly Tensor[]): Tensor | Tensor[] {
    if (!this.enabled) return outputs as Tensor | Tensor[];
    const one = (t: Tensor): Tensor => {
      if (!(t instanceof torch.Tensor)) throw new torch.TorchTypeError('GradScaler.scale(outputs): expected a Tensor or an array of Tensors');
      if (this.scaleT === undefined) this.lazyInit(t.device);
      return t.device === this.scaleT!.device ? t.mul(this.scaleT!) : t.mul(this.scaleT!.to(t.device));
    };
    return Array.isArray(outputs) ? outputs.map(one) : one(outputs as Tensor);
  }

  /** Divides the optimizer's gradients by the scale in place and records inf/NaN; once per step (a second call throws). */
  unscale_(optimizer: AnyOptimizer): void {
    if (!this.enabled) return;
    const scale = this.checkInit('unscale_');
    const st = this.state(optimizer);
    if (st.stage === 'unscaled') throw new torch.TorchError('GradScaler: unscale_() has already been called on this optimizer since the last update()');
    if (st.stage === 'stepped') throw new torch.TorchError('GradScaler: unscale_() is being called after step()');
    const params = optimizer.paramGroups.flatMap((g) => g.params);
    torch.tidy(() => {
      const inv = scale.double().reciprocal().float(); // PyTorch's rounding of 1/scale
      const found = torch.zeros([], { dtype: 'float32', device: scale.device });
      const groups: number = N.ampUnscaleGrads(tids(params, 'GradScaler.unscale_(params)'), tid(found, 'foundInf'), tid(inv, 'invScale'), false);
      if (groups > 0) st.foundInf = torch.keep(found);
    });
    st.stage = 'unscaled';
  }

  /**
   * unscale_(optimizer) unless done this step, then optimizer.step() unless a gradient was inf/NaN.
   * Returns optimizer.step()'s value, or undefined when the step was skipped (PyTorch's None).
   */
  step(optimizer: AnyOptimizer): Tensor | undefined {
    if (!this.enabled) return optimizer.step();
    this.checkInit('step');
    const st = this.state(optimizer);
    if (st.stage === 'stepped') throw new torch.TorchError('GradScaler: step() has already been called since the last update()');
    if (st.stage === 'ready') this.unscale_(optimizer);
    if (st.foundInf === undefined)
      throw new torch.TorchError('GradScaler: no inf checks were recorded for this optimizer (none of its parameters has a gradient: call backward() first)');
    st.stage = 'stepped';
    if ((st.foundInf.item() as number) !== 0) {
      this.skippedSteps++;
      return undefined;
    }
    return optimizer.step();
  }

  /** Backs off (after a skipped step) or grows (after growthInterval good ones) the scale; newScale sets it. Once per step, after step(). */
  update(newScale?: number): void {
    if (!this.enabled) return;
    const scale = this.checkInit('update');
    try {
      if (newScale !== undefined) {
        if (typeof newScale !== 'number' || !Number.isFinite(newScale) || !(newScale > 0))
          throw verr(`update(newScale): newScale must be a finite number > 0, got ${String(newScale)}`);
        scale.fill_(newScale);
        return;
      }
      const found = [...this.perOpt.values()].flatMap((s) => (s.foundInf ? [s.foundInf] : []));
      if (found.length === 0) throw new torch.TorchError('GradScaler: no inf checks were recorded prior to update() (call step(optimizer) first)');
      torch.tidy(() => {
        let all = found[0];
        for (const f of found.slice(1)) all = all.add(f);
        N.ampUpdateScale(
          tid(scale, 'scale'),
          tid(this.trackerT, 'growthTracker'),
          tid(all, 'foundInf'),
          this.growthFactor,
          this.backoffFactor,
          this.growthInterval,
        );
      });
    } finally {
      if (newScale === undefined || (typeof newScale === 'number' && newScale > 0)) this.resetStep();
    }
  }

  private resetStep(): void {
    for (const s of this.perOpt.values()) s.foundInf?.dispose();
    this.perOpt = new Map();
  }

  /** The current scale (initScale before the first scale(); 1 when disabled). A host read. */
  getScale(): number {
    if (!this.enabled) return 1;
    return this.scaleT === undefined ? this.initScale : (this.scaleT.item() as number);
  }

  /** Good steps in a row since the last growth or backoff. A host read. */
  getGrowthTracker(): number {
    if (!this.enabled) return 0;
    return this.trackerT === undefined ? this.initGrowthTracker : (this.trackerT.item() as number);
  }

  getGrowthFactor(): number {
    return this.growthFactor;
  }
  getBackoffFactor(): number {
    return this.backoffFactor;
  }
  getGrowthInterval(): number {
    return this.growthInterval;
  }

  /** { scale, growthFactor, backoffFactor, growthInterval, growthTracker } (JSON values; {} when disabled). Call it after update(). */
  stateDict(): GradScalerState {
    if (!this.enabled) return {};
    return {
      scale: this.getScale(),
      growthFactor: this.growthFactor,
      backoffFactor: this.backoffFactor,
      growthInterval: this.growthInterval,
      growthTracker: this.getGrowthTracker(),
    };
  }

  loadStateDict(sd: GradScalerState): void {
    if (!this.enabled) return;
    if (sd === null || typeof sd !== 'object') throw new torch.TorchTypeError('GradScaler.loadStateDict(): expected the object stateDict() returned');
    if (Object.keys(sd).length === 0)
      throw new torch.TorchError('GradScaler.loadStateDict(): the state dict is empty, possibly because it was saved from a disabled GradScaler');
    const need = ['scale', 'growthFactor', 'backoffFactor', 'growthInterval', 'growthTracker'] as const;
    for (const k of need)
      if (typeof sd[k] !== 'number' || !Number.isFinite(sd[k])) throw verr(`loadStateDict(): '${k}' must be a finite number, got ${String(sd[k])}`);
    this.initScale = sd.scale!;
    this.scaleT?.fill_(sd.scale!);
    this.growthFactor = sd.growthFactor!;
    this.backoffFactor = sd.backoffFactor!;
    this.growthInterval = sd.growthInterval!;
    this.initGrowthTracker = sd.growthTracker!;
    this.trackerT?.fill_(sd.growthTracker!);
  }

  /** Frees the scale, the growth tracker and any pending inf checks (the scaler starts afresh at its last state). */
  dispose(): void {
    if (this.scaleT) {
      this.initScale = this.getScale();
      this.initGrowthTracker = this.getGrowthTracker();
    }
    this.resetStep();
    torch.dispose([this.scaleT, this.trackerT]);
    this.scaleT = this.trackerT = undefined;
  }
}
