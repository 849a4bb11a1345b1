import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Debian's Chromium (`apt-get install chromium`), the browser the browser tests drive headless. */
export const CHROMIUM = 'chromium';

/** Flags for a quiet, throw-away browser: its own profile, no sandbox (tests run as root), no calls home. */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--remote-debugging-address=127.0.0.1',
  '--remote-debugging-port=0',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-default-apps',
  '--disable-domain-reliability',
  '--disable-client-side-phishing-detection',
  '--disable-sync',
  '--disable-extensions',
  '--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication',
  '--no-pings',
  '--hide-scrollbars',
  '--mute-audio',
];

/** Records the page's content-security-policy violations as they happen (the console says less about them). */
const CSP_WATCH = `window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.effectiveDirective + ' blocked ' + (e.blockedURI || 'inline'));
});`;

interface CdpMessage {
  readonly id?: number;
  readonly method?: string;
  readonly sessionId?: string;
  // biome-ignore lint/suspicious/noExplicitAny: protocol payloads are read field by field where they are used
  readonly params?: any;
  // biome-ignore lint/suspicious/noExplicitAny: idem
  readonly result?: any;
  readonly error?: { readonly message: string };
}

/** A page of headless Chromium, driven over the Chrome DevTools Protocol. */
export interface BrowserPage {
  /** Every URL the page asked for, in order: the document, scripts, stylesheets, images, fetches. */
  readonly requests: readonly string[];
  /** Console errors, uncaught exceptions and failed loads, as the browser's console shows them. */
  readonly problems: readonly string[];
  /** Navigates and resolves once the page's load event has fired. */
  goto(url: string): Promise<void>;
  /** Evaluates a JavaScript expression in the page (promises awaited) and returns its JSON value. */
  evaluate<T>(expression: string): Promise<T>;
  /** Evaluates `expression` every 100 ms until it is truthy, and returns that value (`true` for a DOM node). */
  waitFor<T>(what: string, expression: string, timeoutMs?: number): Promise<T>;
  /** Types text into the focused element, as a keyboard would (input events included), replacing any selection. */
  type(text: string): Promise<void>;
  /** The content-security-policy violations the page has reported so far. */
  cspViolations(): Promise<string[]>;
  /** Writes a PNG of the page from its top, `height` CSS pixels tall (default: all of it, 4000 at most), to `path`. */
  screenshot(path: string, height?: number): Promise<void>;
}

/** A running headless Chromium with its own throw-away profile. */
export interface Browser {
  /** Opens a new page of `width` × `height` CSS pixels. */
  newPage(viewport?: { readonly width: number; readonly height: number }): Promise<BrowserPage>;
  /** Closes the browser and deletes its profile. */
  close(): Promise<void>;
}

/** Starts headless Chromium on a free DevTools port; fails with an install hint when `chromium` is missing. */
export async function launchChromium(): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'chromium-'));
  const child = spawn(CHROMIUM, [...FLAGS, `--user-data-dir=${profile}`, 'about:blank'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const endpoint = await new Promise<string>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`chromium did not start within 30 s:\n${seen}`)), 30_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${CHROMIUM} (install it: apt-get install chromium): ${err.message}`));
    });
    child.stderr.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const found = /DevTools listening on (ws:\/\/\S+)/.exec(seen);
      if (found?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    });
  }).catch(async (err: unknown) => {
    child.kill('SIGKILL');
    await rm(profile, { recursive: true, force: true });
    throw err;
  });
  const cdp = await connectCdp(endpoint).catch(async (err: unknown) => {
    child.kill('SIGKILL');
    await exited;
    await rm(profile, { recursive: true, force: true });
    throw err;
  });
  return {
    async newPage(viewport = { width: 1280, height: 900 }) {
      const { targetId } = await cdp.send('Target.createTarget', { url: 'about:blank' });
      const { sessionId } = await cdp.send('Target.attachToTarget', { targetId, flatten: true });
      return openPage(cdp, sessionId as string, viewport);
    },
    async close() {
      await cdp.send('Browser.close').catch(() => undefined);
      cdp.close();
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
      await rm(profile, { recursive: true, force: true });
    },
  };
}

interface Cdp {
  // biome-ignore lint/suspicious/noExplicitAny: see CdpMessage
  send(method: string, params?: object, sessionId?: string): Promise<any>;
  /** Calls `listener` with every event of the session. */
  on(sessionId: string, listener: (event: CdpMessage) => void): void;
  close(): void;
}

async function connectCdp(endpoint: string): Promise<Cdp> {
  const socket = new WebSocket(endpoint);
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true });
    socket.addEventListener('error', () => reject(new Error(`cannot connect to ${endpoint}`)), { once: true });
  });
  let next = 0;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();
  const listeners: { sessionId: string; listener: (event: CdpMessage) => void }[] = [];
  socket.addEventListener('message', (event) => {
    const message = JSON.parse(String(event.data)) as CdpMessage;
    if (message.id !== undefined) {
      const waiting = pending.get(message.id);
      pending.delete(message.id);
      if (message.error !== undefined) waiting?.reject(new Error(message.error.message));
      else waiting?.resolve(message.result);
      return;
    }
    for (const { sessionId, listener } of listeners) if (message.sessionId === sessionId) listener(message);
  });
  socket.addEventListener('close', () => {
    for (const waiting of pending.values()) waiting.reject(new Error('the browser closed the DevTools connection'));
    pending.clear();
  });
  return {
    send(method, params = {}, sessionId) {
      const id = ++next;
      return new Promise((resolve, reject) => {
        pending.set(id, {
          resolve,
          reject: (err) => reject(new Error(`${method}: ${err.message}`)),
        });
        socket.send(JSON.stringify({ id, method, params, ...(sessionId === undefined ? {} : { sessionId }) }));
      });
    },
    on(sessionId, listener) {
      listeners.push({ sessionId, listener });
    },
    close() {
      socket.close();
    },
  };
}

async function openPage(
  cdp: Cdp,
  sessionId: string,
  viewport: { readonly width: number; readonly height: number },
): Promise<BrowserPage> {
  const send = (method: string, params?: object) => cdp.send(method, params, sessionId);
  const requests: string[] = [];
  const problems: string[] = [];
  let loaded: (() => void) | undefined;
  cdp.on(sessionId, ({ method, params }) => {
    if (method === 'Network.requestWillBeSent') requests.push(params.request.url);
    else if (method === 'Page.loadEventFired') loaded?.();
    else if (method === 'Runtime.exceptionThrown') problems.push(exceptionText(params.exceptionDetails));
    else if (method === 'Runtime.consoleAPICalled' && params.type === 'error') {
      const args = params.args as { value?: unknown; description?: string }[];
      problems.push(args.map((arg) => String(arg.value ?? arg.description)).join(' '));
    } else if (method === 'Log.entryAdded' && params.entry.level === 'error') {
      problems.push(`${params.entry.text} (${params.entry.url ?? ''})`);
    }
  });
  for (const domain of ['Page', 'Runtime', 'Network', 'Log']) await send(`${domain}.enable`);
  await send('Emulation.setDeviceMetricsOverride', { ...viewport, deviceScaleFactor: 1, mobile: false });
  await send('Page.addScriptToEvaluateOnNewDocument', { source: CSP_WATCH });

  const evaluate = async <T>(expression: string): Promise<T> => {
    const answer = await send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true });
    if (answer.exceptionDetails !== undefined) throw new Error(exceptionText(answer.exceptionDetails));
    return answer.result.value as T;
  };
  return {
    requests,
    problems,
    async goto(url) {
      const load = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${url} did not load within 30 s`)), 30_000);
        loaded = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      const { errorText } = await send('Page.navigate', { url });
      if (errorText !== undefined) throw new Error(`cannot open ${url}: ${errorText}`);
      await load;
    },
    evaluate,
    async waitFor<T>(what: string, expression: string, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await evaluate<T>(
          `(async () => { const v = await (${expression}); return v instanceof Node || v; })()`,
        );
        if (value) return value;
        if (Date.now() > deadline) {
          throw new Error(`${what}: not within ${timeoutMs} ms (browser problems: ${problems.join('; ') || 'none'})`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async type(text) {
      await send('Input.insertText', { text });
    },
    cspViolations() {
      return evaluate<string[]>('window.__cspViolations');
    },
    async screenshot(path, height) {
      const { cssContentSize } = await send('Page.getLayoutMetrics');
      const clip = {
        x: 0,
        y: 0,
        width: viewport.width,
        height: Math.min(cssContentSize.height, height ?? 4000),
        scale: 1,
      };
      const { data } = await send('Page.captureScreenshot', { format: 'png', clip, captureBeyondViewport: true });
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, Buffer.from(data as string, 'base64'));
    },
  };
}

function exceptionText(details: { text: string; exception?: { description?: string } }): string {
  return details.exception?.description ?? details.text;
}
