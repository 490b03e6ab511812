// Driver for mechanisms.cc: node mechanisms.mjs ADDON MODE [--row] → one JSON line (--row: a table row).
import { createRequire } from 'node:module';
const [addon, mode, fmt] = process.argv.slice(2);
const N = createRequire(import.meta.url)(addon);
const registry = new FinalizationRegistry((id) => N.free(id));
class Wrapper {
  constructor(id) {
    this._id = id;
  }
}
const modes = {
  'dispose (explicit free)': () => {
    const t = new Wrapper(N.alloc());
    N.free(t._id);
  },
  'registry, dropped': () => {
    const t = new Wrapper(N.alloc());
    registry.register(t, t._id, t);
  },
  'registry + dispose': () => {
    const t = new Wrapper(N.alloc());
    registry.register(t, t._id, t);
    registry.unregister(t);
    N.free(t._id);
  },
  'napi finalizer, dropped': () => {
    const t = new Wrapper(N.alloc());
    N.trackNapi(t, t._id);
  },
  'v8 weak, dropped': () => {
    const t = new Wrapper(N.alloc());
    N.trackV8(t, t._id);
  },
};
const f = modes[mode];
if (!f) throw new Error(`mode must be one of: ${Object.keys(modes).join(', ')}`);
const n = 2_000_000;
for (let i = 0; i < 200_000; i++) f();
let maxLive = 0;
const t0 = process.hrtime.bigint();
for (let i = 0; i < n; i++) {
  f();
  if ((i & 0xffff) === 0) maxLive = Math.max(maxLive, N.live());
}
const ns = Number(process.hrtime.bigint() - t0) / n;
const r = { mode, ns_per_object: Math.round(ns * 10) / 10, max_live_in_loop: maxLive, live_at_end: N.live() };
console.log(fmt === '--row' ? `| ${r.mode} | ${r.ns_per_object} | ${r.max_live_in_loop} | ${r.live_at_end} |` : JSON.stringify(r));
