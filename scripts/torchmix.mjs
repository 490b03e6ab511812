#!/usr/bin/env node
// The `torchmix` command (package.json "bin"). Runs the compiled CLI (dist/cli/main.js, built by
// setup's tsc step, and all an installed package has) when it is there and not older than the
// TypeScript sources; otherwise runs lib/cli/main.ts through tsx. TORCHMIX_CLI=source|dist forces one or the other.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist', 'cli', 'main.js');
const src = path.join(root, 'lib', 'cli', 'main.ts');

function newestSource(dir) {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newestSource(p));
    else if (e.name.endsWith('.ts')) t = Math.max(t, fs.statSync(p).mtimeMs);
  }
  return t;
}

function useDist() {
  const force = process.env.TORCHMIX_CLI;
  if (force === 'dist') return true;
  if (force === 'source' || !fs.existsSync(dist)) return false;
  if (!fs.existsSync(src)) return true; // an installed package: dist only
  try {
    return fs.statSync(dist).mtimeMs >= newestSource(path.join(root, 'lib'));
  } catch {
    return true;
  }
}

let mod;
if (!fs.existsSync(src) && !fs.existsSync(dist)) {
  // An installed package ships dist/ (npm pack builds it: "prepack"); without it nothing can run.
  console.error(`torchmix: ${dist} is missing: this package was packed without its compiled JavaScript; reinstall it (npm install torchmix)`);
  process.exit(1);
}
if (useDist()) mod = await import(pathToFileURL(dist).href);
else {
  const { register } = await import('tsx/esm/api');
  register();
  mod = await import(pathToFileURL(src).href);
}
await mod.cli(process.argv.slice(2));
