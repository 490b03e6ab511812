// The addon is linked the way DESIGN.md requires: torch_cuda kept (--no-as-needed) whenever the
// LibTorch it was built against has CUDA, RPATH to non-system LibTorch dirs.
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { torch } from '../../lib/index.js';
import { addonPath } from '../../lib/torch/native.js';

const dynamic = execFileSync('readelf', ['-d', addonPath], { encoding: 'utf8' });
const needed = [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
const runpath = /\((?:RUNPATH|RPATH)\)\s+Library r(?:un)?path: \[([^\]]+)\]/.exec(dynamic)?.[1];
// Where the loaded libtorch lives, as the dynamic loader resolved it for this process.
const maps = fs.readFileSync('/proc/self/maps', 'utf8');
const torchLib = /\s(\/\S*\/libtorch_cpu\.so[^\s]*)/.exec(maps)?.[1];
const torchDir = torchLib ? path.dirname(torchLib) : undefined;
const hasCudaLib = torchDir !== undefined && fs.existsSync(path.join(torchDir, 'libtorch_cuda.so'));

describe(`addon linkage (${addonPath}, LibTorch ${torch.config().version} from ${torchDir})`, () => {
  it('links libtorch and libc10', () => {
    // Debian versions its sonames (libtorch.so.1.13); pip torch does not.
    expect(needed.some((n) => /^libtorch\.so(\.|$)/.test(n))).toBe(true);
    expect(needed.some((n) => /^libc10\.so(\.|$)/.test(n))).toBe(true);
  });
  it('NEEDs libtorch_cuda exactly when this LibTorch has CUDA', () => {
    expect(torchDir).toBeDefined();
    expect(needed.some((n) => n.startsWith('libtorch_cuda.so'))).toBe(hasCudaLib);
    expect(torch.config().cudaBuilt).toBe(hasCudaLib);
  });
  it('has an RPATH to a LibTorch outside the system library dirs', () => {
    if (torchDir!.startsWith('/usr/lib') || torchDir!.startsWith('/lib')) expect(runpath ?? '').not.toContain(torchDir!);
    else expect(fs.realpathSync(runpath!)).toBe(fs.realpathSync(torchDir!));
  });
  it('reports its configuration', () => {
    const c = torch.config();
    expect(c.version).toMatch(/^(1\.13|2\.\d+)\.\d+$/);
    expect(c.threads).toBe(torch.getNumThreads());
    expect(typeof c.cxx11Abi).toBe('boolean');
    expect(c.cuda).toBe(torch.cuda.isAvailable());
    torch.setNumThreads(1);
    expect(torch.config().threads).toBe(1);
    torch.setNumThreads(c.threads);
  });
});
