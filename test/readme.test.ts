// The README's example is scripts/examples/quickstart.ts, word for word, and it runs as written.
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

describe('README', () => {
  const readme = fs.readFileSync('README.md', 'utf8');
  const example = fs.readFileSync('scripts/examples/quickstart.ts', 'utf8');
  it('shows scripts/examples/quickstart.ts verbatim', () => {
    const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBe(example);
  });
  it('example trains to high accuracy and leaves only its own tensors alive', () => {
    const out = execFileSync('npx', ['--no-install', 'tsx', 'scripts/examples/quickstart.ts'], { encoding: 'utf8', env: { ...process.env } });
    const m = /train accuracy ([\d.]+)%, live tensors (\d+)/.exec(out);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(95);
    // x, y, 4 params, beta's two concentration tensors (+ the scalar tensors they hold)… nothing per step.
    expect(Number(m![2])).toBeLessThan(20);
    expect(readme).toContain(`prints \`train accuracy ${m![1]}%, live tensors ${m![2]}\``);
  });
});
