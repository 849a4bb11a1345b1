import { requestReply, securityOptions, shownServer } from '@mlops/bus';
import type { ReplyOf, RequestSubject } from '@mlops/contracts';
import { ConfigError, checkNatsEnv, natsConnection, natsEnvShape, parseConfig } from '@mlops/service-kit';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { z } from 'zod';
import { UnansweredRequestError, UsageError } from './errors.js';
import type { CliIo } from './io.js';
import { recordedStackEndpoints } from './stack-defaults.js';

/**
 * Connects the CLI to NATS as the services would (--nats, else NATS_URL, else the local stack's recorded address in
 * data/stack.json, else the quick start's; NATS_* credentials); a clear error if down.
 */
export async function connectCli(io: CliIo, flag: string | undefined): Promise<NatsConnection> {
  const recorded =
    flag === undefined && io.env.NATS_URL === undefined ? (await recordedStackEndpoints(io.cwd)).nats : undefined;
  const nats = natsFromEnv(recorded === undefined ? io.env : { ...io.env, NATS_URL: recorded }, flag);
  const servers = nats.servers.map(shownServer).join(',');
  return await connect({
    servers: nats.servers,
    name: 'mlops-cli',
    timeout: 5000,
    ...securityOptions(nats.security),
  }).catch((err: unknown) => {
    throw new UsageError(`cannot connect to NATS at ${servers} (${(err as Error).message}): is the stack up?`, 1);
  });
}

/**
 * One request/reply for a CLI command; "no responders" names the service that should be answering. With `retries`,
 * a request left unanswered is sent again as it was (only for requests whose id makes a repeat harmless).
 */
export async function askService<S extends RequestSubject>(
  io: CliIo,
  options: { nats: string | undefined; service: string; timeoutMs?: number; retries?: number },
  subject: S,
  body: object,
): Promise<ReplyOf<S>> {
  const nc = await connectCli(io, options.nats);
  let unanswered = false;
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        return await requestReply(nc, subject, body as never, { timeoutMs: options.timeoutMs ?? 15_000 });
      } catch (err) {
        unanswered ||= isTimeout(err);
        if (!isTimeout(err) || attempt >= (options.retries ?? 0)) throw err;
        io.stderr(`no answer on ${subject} within ${(options.timeoutMs ?? 15_000) / 1000} s: asking again\n`);
      }
    }
  } catch (err) {
    const Failure = unanswered ? UnansweredRequestError : UsageError;
    if (/no responders/i.test((err as Error).message)) {
      const message = `no ${options.service} is answering ${subject}: start the stack (bash scripts/up.sh)`;
      throw new Failure(message, 1, { cause: err });
    }
    throw new Failure(`${subject} failed: ${(err as Error).message}`, 1, { cause: err });
  } finally {
    await nc.drain();
  }
}

/** True for a request that got no answer in time (nats.js TimeoutError), as opposed to no responders or a refusal. */
function isTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === 'TimeoutError' || /^timeout$/i.test(err.message));
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
