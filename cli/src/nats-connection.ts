import { setTimeout as delay } from 'node:timers/promises';
import { requestReply, securityOptions, shownServer } from '@mlops/bus';
import type { ReplyOf, RequestSubject } from '@mlops/contracts';
import { ConfigError, checkNatsEnv, natsConnection, natsEnvShape, parseConfig } from '@mlops/service-kit';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { z } from 'zod';
import { isTimeout, UnansweredRequestError, UsageError } from './errors.js';
import type { CliIo } from './io.js';
import { recordedStackEndpoints } from './stack-defaults.js';

/**
 * Connects the CLI to NATS as the services would (--nats, else NATS_URL, else the local stack's recorded address in
 * $MLOPS_DATA_DIR/stack.json or data/stack.json, else the quick start's; NATS_* credentials); a clear error if down.
 * A state file whose stack is stopped is refused: the quick start's port may be another stack's now.
 */
export async function connectCli(io: CliIo, flag: string | undefined): Promise<NatsConnection> {
  const recorded =
    flag === undefined && io.env.NATS_URL === undefined
      ? (await recordedStackEndpoints(io, '--nats (or NATS_URL)')).nats
      : undefined;
  const nats = natsFromEnv(recorded === undefined ? io.env : { ...io.env, NATS_URL: recorded }, flag);
  const servers = nats.servers.map(shownServer).join(',');
  const nc = await connect({
    servers: nats.servers,
    name: 'mlops-cli',
    timeout: 5000,
    ...securityOptions(nats.security),
  }).catch((err: unknown) => {
    throw new UsageError(`cannot connect to NATS at ${servers} (${(err as Error).message}): is the stack up?`, 1);
  });
  shownServers.set(nc, servers);
  void followDisconnects(nc);
  return nc;
}

/** The CLI connections whose server is gone now (they are trying to reconnect). */
const disconnected = new WeakSet<NatsConnection>();

/** Keeps {@link disconnected} current from the connection's status events, until it closes. */
async function followDisconnects(nc: NatsConnection): Promise<void> {
  for await (const status of nc.status()) {
    if (status.type === 'disconnect') disconnected.add(nc);
    else if (status.type === 'reconnect') disconnected.delete(nc);
  }
}

/** The servers each CLI connection was made to, as messages show them (without credentials). */
const shownServers = new WeakMap<NatsConnection, string>();

/**
 * Rejects with a one-line error (exit 1) once the connection is closed for good: the server went away and the
 * client's reconnect attempts (about 20 s) ran out. Race a wait on the bus against it, or the wait never settles:
 * a subscription on a closed connection just ends, and nothing keeps the process alive.
 * `waitingFor` ends the message: `lost the connection to NATS at <url> while <waitingFor>`.
 */
export function connectionLost(nc: NatsConnection, waitingFor: string): Promise<never> {
  return nc.closed().then(() => {
    throw new UsageError(lostConnection(nc, waitingFor), 1);
  });
}

/** `lost the connection to NATS at <url> while <waitingFor>`. */
function lostConnection(nc: NatsConnection, waitingFor: string): string {
  return `lost the connection to NATS at ${shownServers.get(nc) ?? nc.getServer()} while ${waitingFor}`;
}

/**
 * Drains (or with `drain` false, closes) a connection unless it is closed already. A connection that cannot drain
 * (the server is gone and it is reconnecting) is closed instead: ending it never fails the command.
 */
export async function endConnection(nc: NatsConnection, drain = true): Promise<void> {
  if (nc.isClosed()) return;
  try {
    await (drain ? nc.drain() : nc.close());
  } catch {
    await nc.close().catch(() => undefined);
  }
}

/**
 * One request/reply for a CLI command; "no responders" names the service that should be answering. With `retries`,
 * a request left unanswered is sent again as it was (only for requests whose id makes a repeat harmless).
 */
export async function askService<S extends RequestSubject>(
  io: CliIo,
  options: { nats: string | undefined; service: string; timeoutMs?: number; retries?: number; whenLost?: string },
  subject: S,
  body: object,
): Promise<ReplyOf<S>> {
  const nc = await connectCli(io, options.nats);
  const hint = options.whenLost === undefined ? '' : `; ${options.whenLost}`;
  const waitingFor = `waiting for the ${options.service}'s answer on ${subject}${hint}`;
  const lost = connectionLost(nc, waitingFor);
  let unanswered = false;
  const waitMs = Math.min(RESPONDER_WAIT_MS, options.timeoutMs ?? RESPONDER_WAIT_MS);
  try {
    for (let attempt = 0, noResponderSince: number | undefined; ; ) {
      try {
        const asked = requestReply(nc, subject, body as never, { timeoutMs: options.timeoutMs ?? 15_000 });
        return await Promise.race([asked, lost]);
      } catch (err) {
        // Sent, and the connection is gone (closed, or still trying to reconnect when the answer was due): it may
        // have been acted on, as a request left unanswered may.
        if (nc.isClosed() || disconnected.has(nc) || isDisconnected(err))
          throw new UnansweredRequestError(lostConnection(nc, waitingFor), 1);
        // Nobody received it (a restarting service or nats-server has not subscribed yet): sending it again is harmless.
        noResponderSince = isNoResponders(err) ? (noResponderSince ?? Date.now()) : undefined;
        if (noResponderSince !== undefined && Date.now() - noResponderSince < waitMs) {
          await delay(RESPONDER_POLL_MS);
          continue;
        }
        unanswered ||= isTimeout(err);
        if (!isTimeout(err) || attempt++ >= (options.retries ?? 0)) throw err;
        io.stderr(`no answer on ${subject} within ${(options.timeoutMs ?? 15_000) / 1000} s: asking again\n`);
      }
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const Failure = unanswered ? UnansweredRequestError : UsageError;
    if (isNoResponders(err)) {
      const message = `no answer from the ${options.service} on ${subject} in ${waitMs / 1000} s (nothing subscribes to it): ${NO_SUBSCRIBER_HINT}`;
      throw new Failure(message, 1, { cause: err });
    }
    throw new Failure(`${subject} failed: ${(err as Error).message}`, 1, { cause: err });
  } finally {
    await endConnection(nc);
  }
}

/** How long a request nobody subscribes to is sent again, for a service (or nats-server) restarting; and how often. */
const RESPONDER_WAIT_MS = 3000;
const RESPONDER_POLL_MS = 250;

/** What to do about a request nothing subscribes to: the stack may be restarting, or not running. */
export const NO_SUBSCRIBER_HINT =
  'if the stack is running, it may be restarting: try again; if not, start it (bash scripts/up.sh); see mlops status';

/** True for a request no subscriber received (nats.js: `503` / no responders). */
export function isNoResponders(err: unknown): boolean {
  return err instanceof Error && /no responders/i.test(err.message);
}

/** True for a request failed because the connection was down (nats.js says `connection disconnected`). */
function isDisconnected(err: unknown): boolean {
  return err instanceof Error && /connection (disconnected|closed)/i.test(err.message);
}

/** NATS_URL (or --nats) and the NATS_* credential and TLS variables, as the services read them. */
function natsFromEnv(env: CliIo['env'], flag: string | undefined) {
  try {
    const parsed = parseConfig('mlops', z.object(natsEnvShape).superRefine(checkNatsEnv), {
      ...env,
      ...(flag === undefined ? {} : { NATS_URL: flag }),
    });
    return natsConnection(parsed);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // One line naming what the user typed: --nats when given, else the variables.
    const problems = err.problems.map((p) => (flag === undefined ? p : p.replace(/^NATS_URL: /, '--nats: ')));
    throw new UsageError(problems.join('; '), 2, { cause: err });
  }
}
