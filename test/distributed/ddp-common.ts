// What the DDP test and its ranks share: the data set, the model and the sizes.
import * as torch from '../../lib/torch/index.js';
import * as nn from '../../lib/nn/index.js';

export const STEPS = 4;
export const B = 5;
export const ACCUM = 2;

/** n rows of a fixed regression set (the same on every rank and in the reference; reseeds the global RNG). */
export function ddpData(n: number): { x: torch.Tensor; y: torch.Tensor } {
  torch.manualSeed(1234);
  const x = torch.keep(torch.randn([n, 6], { dtype: 'float64' }));
  const y = torch.keep(torch.randn([n, 2], { dtype: 'float64' }));
  return { x, y };
}

/** A BatchNorm-free MLP in float64, initialised from the global RNG. */
export function makeMlp(): nn.Module {
  return new nn.Sequential(new nn.Linear(6, 16), new nn.Tanh(), new nn.Linear(16, 8), new nn.Tanh(), new nn.Linear(8, 2)).double();
}
