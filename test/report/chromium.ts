// A headless Chromium driven over the DevTools protocol on a pipe (--remote-debugging-pipe: JSON
// messages separated by NUL on fds 3 and 4), with no dependency: open a local page with every
// request other than the page itself and data: URIs failed, and record what the page asked for,
// what it logged and what it threw.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';

/** The Chromium binary: $CHROMIUM, else chromium / chromium-browser / google-chrome on PATH. */
export function findChromium(): string | undefined {
  if (process.env.CHROMIUM) return fs.existsSync(process.env.CHROMIUM) ? process.env.CHROMIUM : undefined;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']) {
    try {
      const p = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
      if (p) return p;
    } catch {
      /* not on PATH */
    }
  }
  return undefined;
}

type Msg = {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
};

export interface PageVisit {
  /** Every URL the page requested (Network.requestWillBeSent), in order. */
  requests: string[];
  /** Requests failed because they were neither the page nor a data: URI. */
  blocked: string[];
  /** Console messages of level error/warning, uncaught exceptions, and browser log errors. */
  errors: string[];
  /** Evaluates a JS expression in the page (awaiting a Promise) and returns its JSON value. */
  evaluate<T>(expression: string): Promise<T>;
  /** A PNG of the page at this width, down to the end of the element `until` matches (default: all of it). */
  screenshot(width?: number, until?: string): Promise<Buffer>;
}

export class Chromium {
  private proc: ChildProcess;
  private input: Writable;
  private nextId = 1;
  private pending = new Map<number, { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  private listeners: ((m: Msg) => void)[] = [];
  private profile: string;

  private constructor(bin: string) {
    this.profile = fs.mkdtempSync(path.join(os.tmpdir(), 'torchmix-chromium-'));
    const args = [
      '--headless=new',
      '--disable-gpu',
      '--no-sandbox',
      '--remote-debugging-pipe',
      `--user-data-dir=${this.profile}`,
      // No network even if the interception below missed something: every proxied request goes to a closed port.
      '--proxy-server=127.0.0.1:9',
      '--proxy-bypass-list=<-loopback>',
      '--no-first-run',
      '--no-default-browser-check',
      '--disable-extensions',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-default-apps',
      '--mute-audio',
      '--hide-scrollbars',
      'about:blank',
    ];
    this.proc = spawn(bin, args, { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });
    this.input = this.proc.stdio[3] as Writable;
    let buf = '';
    (this.proc.stdio[4] as Readable).on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let i: number;
      while ((i = buf.indexOf('\0')) >= 0) {
        const m = JSON.parse(buf.slice(0, i)) as Msg;
        buf = buf.slice(i + 1);
        if (m.id !== undefined && this.pending.has(m.id)) {
          const p = this.pending.get(m.id)!;
          this.pending.delete(m.id);
          if (m.error) p.reject(new Error(`CDP: ${m.error.message}`));
          else p.resolve(m.result ?? {});
        } else for (const l of this.listeners) l(m);
      }
    });
    this.proc.on('exit', () => {
      for (const p of this.pending.values()) p.reject(new Error('chromium exited'));
      this.pending.clear();
    });
  }

  static async launch(bin: string): Promise<Chromium> {
    const c = new Chromium(bin);
    await c.send('Browser.getVersion');
    return c;
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.input.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
    });
  }

  /** Opens a local file in a new tab, failing every request that is neither that file nor a data: URI. */
  async open(file: string, opts: { settleMs?: number; width?: number } = {}): Promise<PageVisit> {
    const url = new URL(`file://${path.resolve(file)}`).href;
    const { targetId } = (await this.send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
    const { sessionId } = (await this.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
    const visit: PageVisit = {
      requests: [],
      blocked: [],
      errors: [],
      evaluate: async <T>(expression: string) => {
        const r = (await this.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }, sessionId)) as {
          result: { value: T };
          exceptionDetails?: { text: string; exception?: { description?: string } };
        };
        if (r.exceptionDetails) throw new Error(`in the page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
        return r.result.value;
      },
      screenshot: async (width = 1200, until?: string) => {
        await this.send('Emulation.setDeviceMetricsOverride', { width, height: 900, deviceScaleFactor: 1, mobile: false }, sessionId);
        const h = await visit.evaluate<number>(
          until
            ? `Math.ceil(document.querySelector(${JSON.stringify(until)}).getBoundingClientRect().bottom + window.scrollY + 16)`
            : 'document.documentElement.scrollHeight',
        );
        await this.send('Emulation.setDeviceMetricsOverride', { width, height: h, deviceScaleFactor: 1, mobile: false }, sessionId);
        const r = (await this.send(
          'Page.captureScreenshot',
          { format: 'png', captureBeyondViewport: true, clip: { x: 0, y: 0, width, height: h, scale: 1 } },
          sessionId,
        )) as { data: string };
        return Buffer.from(r.data, 'base64');
      },
    };
    let loaded: () => void = () => {};
    const load = new Promise<void>((r) => (loaded = r));
    this.listeners.push((m) => {
      if (m.sessionId !== sessionId) return;
      const p = m.params ?? {};
      switch (m.method) {
        case 'Network.requestWillBeSent':
          visit.requests.push((p.request as { url: string }).url);
          break;
        case 'Fetch.requestPaused': {
          const u = (p.request as { url: string }).url;
          if (u === url || u.startsWith('data:')) void this.send('Fetch.continueRequest', { requestId: p.requestId }, sessionId);
          else {
            visit.blocked.push(u);
            void this.send('Fetch.failRequest', { requestId: p.requestId, errorReason: 'BlockedByClient' }, sessionId);
          }
          break;
        }
        case 'Runtime.consoleAPICalled':
          if (p.type === 'error' || p.type === 'warning' || p.type === 'assert')
            visit.errors.push(
              `console.${String(p.type)}: ${(p.args as { value?: unknown; description?: string }[]).map((a) => (a.value === undefined ? String(a.description) : JSON.stringify(a.value))).join(' ')}`,
            );
          break;
        case 'Runtime.exceptionThrown':
          visit.errors.push(`exception: ${JSON.stringify(p.exceptionDetails)}`);
          break;
        case 'Log.entryAdded': {
          const e = p.entry as { level: string; text: string; url?: string };
          if (e.level === 'error' || e.level === 'warning') visit.errors.push(`log.${e.level}: ${e.text}${e.url ? ` (${e.url})` : ''}`);
          break;
        }
        case 'Page.loadEventFired':
          loaded();
          break;
      }
    });
    for (const m of ['Page.enable', 'Runtime.enable', 'Log.enable', 'Network.enable']) await this.send(m, {}, sessionId);
    await this.send('Fetch.enable', { patterns: [{ urlPattern: '*' }] }, sessionId);
    await this.send('Emulation.setDeviceMetricsOverride', { width: opts.width ?? 1200, height: 900, deviceScaleFactor: 1, mobile: false }, sessionId);
    await this.send('Page.navigate', { url }, sessionId);
    await load;
    // Late requests (lazy images, fonts) would show up here.
    await new Promise((r) => setTimeout(r, opts.settleMs ?? 300));
    return visit;
  }

  async close(): Promise<void> {
    try {
      await Promise.race([this.send('Browser.close'), new Promise((r) => setTimeout(r, 2000))]);
    } catch {
      /* already gone */
    }
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      const exited = new Promise((r) => this.proc.once('exit', r));
      this.proc.kill();
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    }
    // Chromium's helper processes may still be writing into the profile for a moment after the
    // browser exits: retry, and leave it to the tmp cleaner if it will not go.
    try {
      fs.rmSync(this.profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    } catch {
      /* a leftover temporary profile is harmless */
    }
  }
}
