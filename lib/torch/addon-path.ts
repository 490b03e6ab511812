// Where the native addon is and how it was built, without loading it: native.ts loads it, and
// `torchmix doctor` reads this when the addon does not load.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: lib/torch/ and dist/torch/ both sit two levels below it. */
export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** TORCHMIX_ADDON overrides the path (used to test a second LibTorch build). */
export const addonPath = process.env.TORCHMIX_ADDON ? path.resolve(process.env.TORCHMIX_ADDON) : path.join(packageRoot, 'build', 'Release', 'torchmix.node');
/** A clone of the repository (the TypeScript sources are there; scripts/setup.sh builds), not a package installed from npm. */
export const isClone = fs.existsSync(path.join(packageRoot, 'lib', 'index.ts'));
/** The command that (re)builds the addon for this kind of install. */
export const buildCommand = isClone ? 'bash scripts/setup.sh' : 'npm rebuild torchmix';

/** Where the build found its LibTorch (CMakeLists.txt writes torchmix-libtorch.json next to the addon). */
export interface AddonBuildInfo {
  /** The search step that won: 'LIBTORCH' | 'LIBTORCH_USE_PYTORCH' | 'venv' | 'python3' | 'system'. */
  step: string;
  /** That step in words, with the python or venv it used. */
  source: string;
  /** The LibTorch prefix (for 'system': its CMake config folder). */
  path: string;
  libDir: string;
}

/** The build's record for the addon at `addon`, or null when there is none (built before it was written). */
export function addonBuildInfo(addon = addonPath): AddonBuildInfo | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(path.dirname(addon), 'torchmix-libtorch.json'), 'utf8')) as AddonBuildInfo;
  } catch {
    return null;
  }
}
