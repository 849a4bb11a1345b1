import { findFreePort, type NatsServerHandle, startNatsServer } from '@mlops/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

/** A local JetStream cluster of nats-server processes, for cases that kill a stream's leader. */
export class NatsCluster {
  private constructor(
    readonly nodes: Map<string, NatsServerHandle>,
    private readonly clientPorts: number[],
  ) {}

  /** Starts `size` servers routed to each other and waits until JetStream has a meta leader. */
  static async start(size = 3): Promise<NatsCluster> {
    const clientPorts: number[] = [];
    const routePorts: number[] = [];
    for (let i = 0; i < size; i++) {
      clientPorts.push(await findFreePort());
      routePorts.push(await findFreePort());
    }
    const nodes = await Promise.all(
      clientPorts.map((port, i) =>
        startNatsServer({
          port,
          cluster: { name: 'mlops-test', serverName: `n${i + 1}`, port: routePorts[i]!, routes: routePorts },
        }),
      ),
    );
    const cluster = new NatsCluster(new Map(nodes.map((node, i) => [`n${i + 1}`, node])), clientPorts);
    await cluster.waitForJetStream();
    return cluster;
  }

  /** The client URLs of every node, comma-separated (what NATS_URL takes). */
  get urls(): string {
    return this.clientPorts.map((port) => `nats://127.0.0.1:${port}`).join(',');
  }

  /** The server name of a stream's current leader. */
  async leaderOf(stream: string): Promise<string> {
    const nc = await connect({ servers: this.urls.split(',') });
    try {
      const info = await (await jetstreamManager(nc)).streams.info(stream);
      const leader = info.cluster?.leader;
      if (leader === undefined) throw new Error(`stream ${stream} has no leader`);
      return leader;
    } finally {
      await nc.close();
    }
  }

  /** SIGKILLs one node (its store stays). */
  async kill(name: string): Promise<void> {
    await this.nodes.get(name)?.kill();
  }

  /** Stops every node and removes their stores. */
  async stop(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((node) => node.stop()));
  }

  private async waitForJetStream(ms = 30_000): Promise<void> {
    const deadline = Date.now() + ms;
    const nc = await connect({ servers: this.urls.split(',') });
    try {
      for (;;) {
        try {
          // A meta leader alone is not enough: every node must be known to it before an R3 stream can be placed.
          const jsm = await jetstreamManager(nc);
          await jsm.streams.add({ name: 'CLUSTER_PROBE', subjects: ['cluster.probe'], num_replicas: this.nodes.size });
          await jsm.streams.delete('CLUSTER_PROBE');
          return;
        } catch (err) {
          if (Date.now() > deadline)
            throw new Error('the JetStream cluster did not place a replicated stream', { cause: err });
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
    } finally {
      await nc.close();
    }
  }
}
