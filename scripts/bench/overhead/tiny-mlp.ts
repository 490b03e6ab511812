// The tiny MLP (2 → 64 → 64 → 2) of the overhead benchmarks, as an nn.Module. Built with
// registerModule (not assignment), so module-before-after.sh runs it on the code before
// modules-by-assignment too.
import { nn } from '../../../lib/index.js';
import type { Tensor } from '../../../lib/torch/index.js';

const F = nn.functional;

export class TinyMLP extends nn.Module {
  declare fc1: nn.Linear;
  declare fc2: nn.Linear;
  declare fc3: nn.Linear;
  constructor() {
    super();
    this.registerModule('fc1', new nn.Linear(2, 64));
    this.registerModule('fc2', new nn.Linear(64, 64));
    this.registerModule('fc3', new nn.Linear(64, 2));
  }
  forward(x: Tensor): Tensor {
    return this.fc3.forward(F.relu(this.fc2.forward(F.relu(this.fc1.forward(x)))));
  }
}
