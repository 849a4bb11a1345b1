import { describe, expect, inject, it } from 'vitest';
import { canConnect, startNatsServer } from '../src/index.js';

describe('testkit servers', () => {
  it('when the run starts, then the global MLflow server answers /health and lists the Default experiment', async () => {
    const uri = inject('mlflowTrackingUri');
    expect(await (await fetch(`${uri}/health`)).text()).toBe('OK');
    const response = await fetch(`${uri}/api/2.0/mlflow/experiments/get-by-name?experiment_name=Default`);
    expect(((await response.json()) as { experiment: { experiment_id: string } }).experiment.experiment_id).toBe('0');
  });

  it('when a private nats-server is started and stopped, then its port opens and closes', async () => {
    const server = await startNatsServer();
    expect(await canConnect(server.port)).toBe(true);
    await server.stop();
    expect(await canConnect(server.port)).toBe(false);
  });

  it('when the binary does not exist, then the error says how to install nats-server', async () => {
    await expect(startNatsServer({ binary: '/nonexistent/nats-server' })).rejects.toThrow(
      /apt-get install -y nats-server/,
    );
  });
});
