// PyTorch ↔ torchmix state-dict interop through safetensors files, for PreActResNet-18 and
// WideResNet-28-2 (and the small CNN / MLP). Python side: scripts/fixtures/nn_interop.py run with
// the project's .venv (skipped, saying so, when that Python with torch + safetensors is missing).
//   1. Python builds the reference model, randomises BatchNorm, writes
//      safetensors.torch.save_file(model.state_dict()) and (x, eval output y). torchmix loads the
//      file strictly into its model: same keys, same eval output on x (float32, atol 1e-4).
//   2. torchmix writes its own model (after a few training forwards, so running statistics and
//      num_batches_tracked are non-trivial) with torch.save; Python loads it with
//      safetensors.torch.load_file + load_state_dict(strict=True) and reproduces torchmix's output.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it, expect, afterAll } from 'vitest';
import { torch, nn } from '../../lib/index.js';
import { packageRoot } from '../../lib/torch/native.js';
import { maxAbsDiff } from './util.js';
import { venvPython, havePython } from '../helpers/python.js';

const py = venvPython;
const script = path.join(packageRoot, 'scripts', 'fixtures', 'nn_interop.py');
const havePy = havePython('torch, safetensors', 'interop tests');

const dir = mkdtempSync(path.join(tmpdir(), 'torchmix-interop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const archs: Record<string, { build: () => nn.models.Mixable; input: number[] }> = {
  preactresnet18: { build: () => nn.models.preactResNet18({ inChannels: 3, numClasses: 10 }), input: [4, 3, 32, 32] },
  wrn28_2: { build: () => nn.models.wideResNet({ depth: 28, width: 2 }), input: [4, 3, 32, 32] },
  smallcnn: { build: () => nn.models.smallCNN(), input: [4, 1, 28, 28] },
  mlp: { build: () => nn.models.mlp([2, 64, 64, 2]), input: [4, 2] },
};

describe.skipIf(!havePy)('PyTorch ↔ torchmix through safetensors (skipped without .venv/bin/python)', () => {
  for (const [arch, { build, input }] of Object.entries(archs)) {
    it(`${arch}: Python-written state dict loads and gives the same eval outputs`, () => {
      const d = path.join(dir, `py-${arch}`);
      execFileSync('mkdir', ['-p', d]);
      const info = JSON.parse(execFileSync(py, [script, 'export', arch, d], { encoding: 'utf8' })) as { keys: string[] };
      const m = build();
      expect(Object.keys(m.stateDict())).toEqual(info.keys);
      const sd = torch.load(path.join(d, 'py_model.safetensors'));
      expect(m.loadStateDict(sd)).toEqual({ missingKeys: [], unexpectedKeys: [] });
      const io = torch.load(path.join(d, 'py_io.safetensors'));
      m.eval();
      const y = torch.noGrad(() => m.forward(io.x));
      expect(y.shape).toEqual(io.y.shape);
      expect(maxAbsDiff(y, io.y)).toBeLessThan(1e-4);
      // and the BN statistics came through (eval output differs from a fresh model's)
      expect(
        maxAbsDiff(
          torch.noGrad(() => build().eval().forward(io.x)),
          io.y,
        ),
      ).toBeGreaterThan(1e-3);
    });
    it(`${arch}: torchmix-written state dict loads in Python (strict) and gives the same outputs`, () => {
      const d = path.join(dir, `tm-${arch}`);
      execFileSync('mkdir', ['-p', d]);
      torch.manualSeed(5);
      const m = build();
      m.train();
      torch.noGrad(() => {
        for (let i = 0; i < 3; i++) m.forward(torch.randn(input));
      });
      m.eval();
      const x = torch.randn(input);
      const y = torch.noGrad(() => m.forward(x));
      torch.save(m.stateDict(), path.join(d, 'tm_model.safetensors'));
      torch.save({ x, y }, path.join(d, 'tm_io.safetensors'));
      const r = JSON.parse(execFileSync(py, [script, 'check', arch, d], { encoding: 'utf8' })) as { maxAbsDiff: number; shape: number[]; dtypes: string[] };
      expect(r.shape).toEqual(y.shape);
      expect(r.maxAbsDiff).toBeLessThan(1e-4);
      if (arch !== 'mlp' && arch !== 'smallcnn') expect(r.dtypes).toEqual(['torch.float32', 'torch.int64']);
    });
  }
});
