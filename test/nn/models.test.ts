// nn.models: parameter and state-dict names equal the PyTorch reference implementations'
// (test/fixtures/nn_keys.json from scripts/fixtures/make_nn_fixtures.py), and the manifold-mixup
// mixing points behave as documented.
import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { torch, nn } from '../../lib/index.js';
import { maxAbsDiff } from './util.js';
type Tensor = torch.Tensor;

const keys: Record<string, { keys: string[]; params: string[]; numel: number }> = JSON.parse(
  readFileSync(new URL('../fixtures/nn_keys.json', import.meta.url), 'utf8'),
);

const builders: Record<string, () => nn.Module> = {
  preactresnet18: () => nn.models.preactResNet18({ inChannels: 3, numClasses: 10 }),
  wrn28_2: () => nn.models.wideResNet({ depth: 28, width: 2 }),
  smallcnn: () => nn.models.smallCNN(),
  mlp: () => nn.models.mlp([2, 64, 64, 2]),
  sequential: () => new nn.Sequential(new nn.Conv2d(1, 4, 3), new nn.BatchNorm2d(4), new nn.ReLU(), new nn.Flatten(), new nn.Linear(4, 2)),
};

describe('names and sizes equal the PyTorch reference models', () => {
  for (const [arch, build] of Object.entries(builders)) {
    it(arch, () => {
      const m = build();
      expect(Object.keys(m.stateDict())).toEqual(keys[arch].keys);
      expect(m.namedParameters().map(([n]) => n)).toEqual(keys[arch].params);
      expect(m.numParameters()).toBe(keys[arch].numel);
    });
  }
  it('preactResNet34 has blocks 3-4-6-3', () => {
    const m = nn.models.preactResNet34({ numClasses: 100 });
    const sd = Object.keys(m.stateDict());
    expect(sd).toContain('layer3.5.conv2.weight');
    expect(sd).not.toContain('layer3.6.conv2.weight');
    expect(m.linear.weight.shape).toEqual([100, 512]);
  });
  it('WideResNet init follows the ports: BN 1/0, fc bias 0, conv std √2/√fan_out', () => {
    torch.manualSeed(0);
    const m = nn.models.wideResNet({ depth: 28, width: 2, numClasses: 10 });
    expect(m.fc.bias!.abs().sum().item()).toBe(0);
    const w = m.block3.layer.at(1) as nn.models.WideBasicBlock;
    const std = w.conv1.weight.std().item() as number;
    const want = Math.SQRT2 / Math.sqrt(128 * 9);
    expect(Math.abs(std - want) / want).toBeLessThan(0.02);
    expect(() => nn.models.wideResNet({ depth: 27 })).toThrow(/6n \+ 4/);
  });
});

interface Case {
  name: string;
  model: () => nn.models.Mixable;
  input: number[];
  shapes: number[][];
}
const cases: Case[] = [
  {
    name: 'mlp',
    model: () => nn.models.mlp([2, 8, 6, 3]),
    input: [5, 2],
    shapes: [
      [5, 2],
      [5, 8],
      [5, 6],
    ],
  },
  {
    name: 'smallCNN',
    model: () => nn.models.smallCNN(),
    input: [3, 1, 28, 28],
    shapes: [
      [3, 1, 28, 28],
      [3, 32, 26, 26],
      [3, 64, 12, 12],
      [3, 128],
    ],
  },
  {
    name: 'preactResNet18',
    model: () => nn.models.preactResNet18({ inChannels: 1, numClasses: 10, initialChannels: 8 }),
    input: [3, 1, 28, 28],
    shapes: [
      [3, 1, 28, 28],
      [3, 8, 28, 28],
      [3, 16, 14, 14],
      [3, 32, 7, 7],
    ],
  },
  {
    name: 'wideResNet',
    model: () => nn.models.wideResNet({ depth: 10, width: 1, numClasses: 7 }),
    input: [3, 3, 32, 32],
    shapes: [
      [3, 3, 32, 32],
      [3, 16, 32, 32],
      [3, 32, 16, 16],
      [3, 64, 8, 8],
    ],
  },
];

describe('manifold-mixup mixing points', () => {
  for (const c of cases) {
    it(`${c.name}: mix is called once, at stage k, with the hidden state; no mixAt = plain forward`, () => {
      torch.manualSeed(1);
      const m = c.model().eval();
      expect(m.stages.length).toBe(c.shapes.length);
      expect(m.stages[0]).toBe('input');
      const x = torch.randn(c.input);
      const plain = m.forward(x);
      expect(maxAbsDiff(m.forward(x, {}), plain)).toBe(0);
      expect(
        maxAbsDiff(
          m.forward(x, {
            mixAt: undefined,
            mix: () => {
              throw new Error('called');
            },
          }),
          plain,
        ),
      ).toBe(0);
      for (let k = 0; k < m.stages.length; k++) {
        const seen: number[][] = [];
        // identity mix: same output
        const same = m.forward(x, {
          mixAt: k,
          mix: (h: Tensor) => {
            seen.push(h.shape);
            return h;
          },
        });
        expect(seen, `stage ${k}`).toEqual([c.shapes[k]]);
        expect(maxAbsDiff(same, plain)).toBe(0);
        // a real mix (λh + (1−λ)h[flip]) changes the output
        const mixed = m.forward(x, { mixAt: k, mix: (h: Tensor) => h.mul(0.3).add(h.flip(0).mul(0.7)) });
        expect(maxAbsDiff(mixed, plain), `stage ${k} changes the output`).toBeGreaterThan(1e-6);
      }
      expect(() => m.forward(x, { mixAt: m.stages.length, mix: (h: Tensor) => h })).toThrow(/mixAt must be an integer in \[0, /);
      expect(() => m.forward(x, { mixAt: 0 })).toThrow(/needs a mix callback/);
    });
  }
  it('mixing at stage 0 equals running the plain model on the mixed input', () => {
    const m = nn.models.mlp([2, 5, 2]);
    const x = torch.randn([4, 2]);
    const mix = (h: Tensor) => h.mul(0.4).add(h.flip(0).mul(0.6));
    expect(maxAbsDiff(m.forward(x, { mixAt: 0, mix }), m.forward(mix(x)))).toBe(0);
  });
});
