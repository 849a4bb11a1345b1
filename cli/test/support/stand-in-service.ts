import { type NatsServerHandle, startNatsServer } from '@mlops/testkit';
import { connect, type NatsConnection } from '@nats-io/transport-node';

/** What a stand-in answer recorded: the request bodies received, and how to stop answering. */
export interface Answering {
  readonly received: Record<string, unknown>[];
  stop(): void;
}

/** A real nats-server and a connection that answers requests in a service's place (integration tests of the CLI). */
export interface StandIn {
  readonly url: string;
  /**
   * Answers `subject` with `reply` from the `answerFrom`-th request on (the earlier ones go unanswered); resolves once
   * the server routes the subject here.
   */
  answering(subject: string, reply: object, answerFrom?: number): Promise<Answering>;
  close(): Promise<void>;
}

/** Starts a private nats-server with a stand-in connection on it, for a test file's `beforeAll`. */
export async function startStandIn(): Promise<StandIn> {
  const nats: NatsServerHandle = await startNatsServer();
  const responder: NatsConnection = await connect({ servers: nats.url });
  return {
    url: nats.url,
    async answering(subject, reply, answerFrom = 1) {
      const received: Record<string, unknown>[] = [];
      const sub = responder.subscribe(subject, {
        callback: (_err, msg) => {
          received.push(msg.json());
          if (received.length >= answerFrom) msg.respond(JSON.stringify(reply));
        },
      });
      await responder.flush();
      return { received, stop: () => sub.unsubscribe() };
    },
    async close() {
      await responder.drain();
      await nats.stop();
    },
  };
}
