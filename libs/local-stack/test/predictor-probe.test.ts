import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalStackError } from '../src/errors.js';
import { predictorProbeHeaders } from '../src/predictor-auth.js';
import { startLocalStack } from '../src/stack.js';

// How the stack probes the predictor (its token when its health routes may want one), and the HTTP ports it refuses
// before it creates anything (no server is started here).

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'predictor-probe-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('predictorProbeHeaders', () => {
  it('when tokens are configured, then the probe sends the first one as a bearer token; without tokens nothing', () => {
    const health = { PREDICTOR_AUTH_HEALTH: 'true' };

    expect(predictorProbeHeaders({ ...health, PREDICTOR_AUTH_TOKENS: 'abcdefghijklmnop1234' })).toEqual({
      authorization: 'Bearer abcdefghijklmnop1234',
    });
    expect(
      predictorProbeHeaders({ ...health, PREDICTOR_AUTH_TOKENS: ' first-token-0123456 , second-token-6543210' }),
    ).toEqual({ authorization: 'Bearer first-token-0123456' });
    expect(predictorProbeHeaders({ PREDICTOR_AUTH_TOKENS: '' })).toEqual({});
    expect(predictorProbeHeaders({})).toEqual({});
  });
});

describe('startLocalStack refuses an HTTP port fetch refuses', () => {
  it.each([
    ['predictor', 6000, 'the predictor'],
    ['mlflow', 10080, 'MLflow'],
  ] as const)('when the %s port is %i, then it is refused at once, naming it, and no data directory is made', async (name, port, owner) => {
    const dataDir = join(root, 'data');
    const starting = startLocalStack({ dataDir, ports: { nats: 0, mlflow: 0, predictor: 0, [name]: port } });

    await expect(starting).rejects.toThrow(LocalStackError);
    await expect(starting).rejects.toThrow(
      `port ${port} for ${owner} is one browsers and fetch refuse to connect to: choose another --${name}-port`,
    );
    expect(existsSync(dataDir)).toBe(false);
  });
});
