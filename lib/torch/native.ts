// Loads the addon (where it is: addon-path.ts). TORCHMIX_ADDON overrides the path.
import { createRequire } from 'node:module';
import { errorClasses } from './errors.js';
import { addonPath, buildCommand } from './addon-path.js';

export { packageRoot, addonPath } from './addon-path.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type NativeFn = (...args: any[]) => any;

function load(): Record<string, NativeFn> {
  const require = createRequire(import.meta.url);
  try {
    return require(addonPath);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    const override = process.env.TORCHMIX_ADDON ? ' (TORCHMIX_ADDON points there: unset it or point it at a built torchmix.node)' : '';
    throw new Error(
      `torchmix: cannot load the native addon at ${addonPath}${override}: ${why}\n` +
        `Fix: ${buildCommand} (builds it against LibTorch); 'npx torchmix doctor' says what this machine is missing.`,
      { cause: e },
    );
  }
}

// Copied into a plain object: the addon's exports object has ~200 properties and sits in V8's
// slow dictionary mode, while Object.fromEntries builds one with fast properties (cheaper N.op).
export const N: Record<string, NativeFn> = Object.fromEntries(Object.entries(load()));
// Node < 20.10 defers Node-API finalizers to the event loop: the GC fallback then frees nothing
// inside a synchronous loop (docs/ARCHITECTURE.md, "Three release paths").
const [nodeMajor, nodeMinor] = process.versions.node.split('.').map(Number);
if (nodeMajor < 20 || (nodeMajor === 20 && nodeMinor < 10))
  process.emitWarning(
    `torchmix needs Node.js >= 20.10 to free dropped tensors during a synchronous loop (this is ${process.version}); wrap each step in torch.tidy`,
    { code: 'TORCHMIX_OLD_NODE' },
  );
// Native errors are thrown as instances of these classes (see native/errors.cc).
N.setErrorClasses(errorClasses);
