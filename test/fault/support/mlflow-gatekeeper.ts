import {
  Agent,
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';

/** One HTTP call that went through the gatekeeper. */
export interface SeenCall {
  readonly method: string;
  /** The path without the query, e.g. `/api/2.0/mlflow/model-versions/set-tag`. */
  readonly path: string;
  /** The JSON body, parsed; undefined for other bodies (artifacts) and none. */
  readonly body: Readonly<Record<string, unknown>> | undefined;
  /**
   * `forwarded`: MLflow got it (whether or not its answer reached the client); `dropped`: its client went away while
   * it was held before forwarding, so MLflow never saw it; `failed`: MLflow could not be reached.
   */
  outcome: 'pending' | 'forwarded' | 'dropped' | 'failed';
  /** MLflow's answer, once there was one. */
  status?: number | undefined;
}

/** Which call to hold, and where. */
export interface HoldRule {
  /** Names the crash point in messages. */
  readonly name: string;
  readonly method: string;
  /** The endpoint below `/api/2.0/mlflow/`, e.g. `registered-models/alias`. */
  readonly endpoint: string;
  /** Fields the JSON body must have, with these values (e.g. `{ key: 'mlops.gate.verdict' }`). */
  readonly body: Readonly<Record<string, string>>;
  /**
   * `before`: held before it is forwarded (MLflow never sees it if its client dies); `after`: forwarded, MLflow
   * answered, and the answer is held (MLflow did the work, the client never learns it).
   */
  readonly when: 'before' | 'after';
}

/** A call the gatekeeper is holding. */
export interface Held {
  readonly rule: HoldRule;
  readonly call: SeenCall;
  /**
   * Resolves once the held call is over: on {@link Held.release}, or when its client goes away (killed) without its
   * answer — then `dropped` if it was held before forwarding (MLflow never saw it), `forwarded` if after.
   */
  readonly settled: Promise<SeenCall['outcome']>;
  /** Lets a `before` call go on to MLflow, or hands an `after` call's answer over; nothing if the client is gone. */
  release(): void;
}

const API_PREFIX = '/api/2.0/mlflow/';
/** Hop-by-hop headers, never copied from one connection to the other (RFC 9110 §7.6.1), and the recomputed ones. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
]);

interface Armed {
  readonly rule: HoldRule;
  readonly resolve: (held: Held) => void;
}

/**
 * A transparent HTTP proxy in front of the MLflow server that a fault test puts between one service and MLflow:
 * every call goes through unchanged (method, path and query, headers, body; answers streamed back), and it records
 * what it saw. Armed with a {@link HoldRule}, it holds the first call that matches, before or after MLflow handled it,
 * so the test can kill the service at exactly that step.
 */
export class MlflowGatekeeper {
  /** Every call seen, oldest first. */
  readonly calls: SeenCall[] = [];
  private armed: Armed | undefined;
  private readonly agent = new Agent({ keepAlive: true });

  private constructor(
    private readonly server: Server,
    private readonly upstream: URL,
  ) {}

  /** Starts the proxy on a free port of 127.0.0.1, forwarding to `upstreamUri` (the MLflow tracking URI). */
  static async start(upstreamUri: string): Promise<MlflowGatekeeper> {
    let gatekeeper: MlflowGatekeeper | undefined;
    const server = createServer((req, res) => {
      gatekeeper!.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end(String(err));
        else res.destroy(err as Error);
      });
    });
    gatekeeper = new MlflowGatekeeper(server, new URL(upstreamUri));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return gatekeeper;
  }

  /** http://127.0.0.1:<port>: the tracking URI to give the service instead of MLflow's. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Holds the next call matching `rule`; resolves when it is held (for `after`: once MLflow has answered it). */
  arm(rule: HoldRule): Promise<Held> {
    if (this.armed !== undefined) throw new Error(`already armed for ${this.armed.rule.name}`);
    return new Promise((resolve) => {
      this.armed = { rule, resolve };
    });
  }

  /** Forgets an armed rule that has not caught a call yet. */
  disarm(): void {
    this.armed = undefined;
  }

  /** The calls seen to one endpoint (below `/api/2.0/mlflow/`) whose JSON body has these fields. */
  callsTo(method: string, endpoint: string, body: Readonly<Record<string, string>> = {}): SeenCall[] {
    return this.calls.filter((call) => matches(call, method, endpoint, body));
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
    this.agent.destroy();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const payload = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://gatekeeper');
    const call: SeenCall = {
      method: req.method ?? 'GET',
      path: url.pathname,
      body: jsonObject(req.headers, payload),
      outcome: 'pending',
    };
    this.calls.push(call);
    // The client went away (crashed) before its answer was complete.
    const gone = new Promise<'gone'>((resolve) => res.once('close', () => resolve('gone')));
    const armed = this.armed;
    const hold = armed !== undefined && matches(call, armed.rule.method, armed.rule.endpoint, armed.rule.body);
    if (hold) this.armed = undefined;
    let release!: () => void;
    const released = new Promise<'released'>((resolve) => {
      release = () => resolve('released');
    });
    let settle!: (outcome: SeenCall['outcome']) => void;
    const settled = new Promise<SeenCall['outcome']>((resolve) => {
      settle = resolve;
    });
    const finish = (outcome: SeenCall['outcome']) => {
      call.outcome = outcome;
      settle(outcome);
    };
    const holding = (): Held => ({ rule: armed!.rule, call, settled, release });

    if (hold && armed.rule.when === 'before') {
      armed.resolve(holding());
      if ((await Promise.race([released, gone])) === 'gone') return finish('dropped');
    }
    const upstream = await this.forward(req, url, payload).catch((err: unknown) => err as Error);
    if (upstream instanceof Error) {
      finish('failed');
      throw upstream;
    }
    call.status = upstream.statusCode;
    const headers = answerHeaders(upstream.headers);
    if (!(hold && armed.rule.when === 'after')) {
      res.writeHead(upstream.statusCode ?? 502, headers);
      // Streamed as it comes (artifact downloads); a client that goes away mid-answer ends the upstream read too.
      await pipeline(upstream, res).catch(() => undefined);
      return finish('forwarded');
    }
    // MLflow did the work; its answer is read whole and withheld until the test releases it.
    const answer: Buffer[] = [];
    for await (const chunk of upstream) answer.push(chunk as Buffer);
    call.outcome = 'forwarded';
    armed.resolve(holding());
    if ((await Promise.race([released, gone])) === 'gone') return finish('forwarded');
    const body = Buffer.concat(answer);
    res.writeHead(upstream.statusCode ?? 502, { ...headers, 'content-length': String(body.length) }).end(body);
    finish('forwarded');
  }

  private forward(req: IncomingMessage, url: URL, payload: Buffer): Promise<IncomingMessage> {
    const headers: Record<string, string | string[]> = {};
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(key)) headers[key] = value;
    }
    // MLflow checks the Host header against its allowed hosts: it is asked as itself.
    headers.host = this.upstream.host;
    if (payload.length > 0 || !['GET', 'HEAD'].includes(req.method ?? 'GET')) {
      headers['content-length'] = String(payload.length);
    }
    return new Promise((resolve, reject) => {
      const outgoing = request(
        {
          protocol: this.upstream.protocol,
          hostname: this.upstream.hostname,
          port: this.upstream.port,
          method: req.method,
          path: `${url.pathname}${url.search}`,
          headers,
          agent: this.agent,
        },
        resolve,
      );
      outgoing.once('error', reject);
      outgoing.end(payload);
    });
  }
}

function matches(call: SeenCall, method: string, endpoint: string, body: Readonly<Record<string, string>>): boolean {
  return (
    call.method === method &&
    call.path === `${API_PREFIX}${endpoint}` &&
    Object.entries(body).every(([key, value]) => call.body?.[key] === value)
  );
}

function jsonObject(headers: IncomingHttpHeaders, payload: Buffer): Record<string, unknown> | undefined {
  if (!headers['content-type']?.includes('application/json') || payload.length === 0) return undefined;
  try {
    const parsed: unknown = JSON.parse(payload.toString('utf8'));
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function answerHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const copied: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value !== undefined && (!HOP_BY_HOP.has(key) || key === 'content-length')) copied[key] = value;
  }
  return copied;
}
