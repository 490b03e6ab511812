// What module-call scopes cost in time, measured in one process so that load from other jobs falls
// on both modes alike: blocks of training steps alternate between scopes on and off (the internal
// switch behind TORCHMIX_MODULE_SCOPES), timed in CPU time (process.cpuUsage: user + system, one
// intra-op thread) as well as wall time; prints one JSON line with the medians over blocks.
//   node --import tsx scripts/bench/step-memory/scope-cost.ts --model smallcnn|preact18|tinymlp|adamixup [--blocks 8] [--steps 5]
// Steps as step-memory.ts (forward, cross-entropy, backward, optim.SGD momentum 0.9 in one tidy);
// tinymlp: the overhead benchmarks' 2 → 64 → 64 → 2 MLP on a batch of 64 (4 module calls a step);
// adamixup: adamixup-step/step.ts's step (small CNN b128, mixup.adamixup, SGD over model + policy).
import { torch, nn, optim, mixup } from '../../../lib/index.js';
import { _setModuleScopes } from '../../../lib/nn/call-scope.js';
import { TinyMLP } from '../overhead/tiny-mlp.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
const modelName = args.get('model') ?? 'smallcnn';
const blocks = Number(args.get('blocks') ?? 8);
const tiny = modelName === 'tinymlp';
const steps = Number(args.get('steps') ?? (tiny ? 2000 : 5));
torch.setNumThreads(1);
torch.manualSeed(0);
const [model, shape]: [nn.Module, number[]] =
  modelName === 'smallcnn' || modelName === 'adamixup'
    ? [nn.models.smallCNN(), [128, 1, 28, 28]]
    : modelName === 'preact18'
      ? [nn.models.preactResNet18({ inChannels: 3, numClasses: 10 }), [32, 3, 32, 32]]
      : [new TinyMLP(), [64, 2]];
const x = torch.randn(shape);
const y = torch.randint(0, tiny ? 2 : 10, [shape[0]]);
const method = modelName === 'adamixup' ? mixup.adamixup() : null;
const policy = method ? method.attach(model) : null;
const opt = new optim.SGD([...model.parameters(), ...(policy ? policy.parameters() : [])], { lr: 0.01, momentum: 0.9 });
const step = () =>
  torch.tidy(() => {
    const r = method ? method.apply({ x, y, numClasses: 10, model: model as nn.models.SmallCNN }) : null;
    const loss = r ? r.loss(r.output!) : nn.functional.crossEntropy(model.forward(x) as torch.Tensor, y);
    opt.zeroGrad({ setToNone: true });
    loss.backward();
    opt.step();
  });

for (let i = 0; i < (tiny ? 200 : 2); i++) step();
const cpu: Record<string, number[]> = { on: [], off: [] };
const wall: Record<string, number[]> = { on: [], off: [] };
for (let b = 0; b < 2 * blocks; b++) {
  const on = b % 2 === 0;
  _setModuleScopes(on);
  step(); // one step into the new mode before timing
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) step();
  const c = process.cpuUsage(c0);
  wall[on ? 'on' : 'off'].push((performance.now() - t0) / steps);
  cpu[on ? 'on' : 'off'].push((c.user + c.system) / 1000 / steps);
}
const med = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
const r = (v: number) => Number(v.toPrecision(4));
console.log(
  JSON.stringify({
    model: modelName,
    steps,
    blocks,
    cpuMsPerStep: { on: r(med(cpu.on)), off: r(med(cpu.off)), ratio: r(med(cpu.on) / med(cpu.off)) },
    wallMsPerStep: { on: r(med(wall.on)), off: r(med(wall.off)), ratio: r(med(wall.on) / med(wall.off)) },
  }),
);
