import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { buildUrl } from '../src/exchange.js';
import { createMlflowClient, MlflowInvalidArgumentError } from '../src/index.js';

// The client's credentials (MLFLOW_TRACKING_PASSWORD / _TOKEN) go with every request, so requests may only go to the
// tracking server's origin: an artifact location naming another host must not take them there.

const BASIC = `Basic ${Buffer.from('alice:s3cret').toString('base64')}`;

/** A real HTTP server on a free loopback port that records each request and answers with `answer(path)`. */
interface RecordingServer {
  readonly origin: string;
  readonly seen: { readonly path: string; readonly headers: IncomingHttpHeaders }[];
}

async function recordingServer(answer: (path: string) => string = () => '{}'): Promise<RecordingServer> {
  const seen: { path: string; headers: IncomingHttpHeaders }[] = [];
  const server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json' }).end(answer(req.url ?? ''));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

/** A tracking server whose run `r1` has `artifactUri` as its artifact location; artifact downloads answer `weights`. */
async function trackingServer(artifactUri: () => string): Promise<RecordingServer> {
  return await recordingServer((path) =>
    path.startsWith('/api/2.0/mlflow/runs/get')
      ? JSON.stringify({ run: { info: { run_id: 'r1', experiment_id: '1', artifact_uri: artifactUri() } } })
      : 'weights',
  );
}

describe('credentials stay with the tracking server', () => {
  it('when a run names another host in its artifact location, then the download is refused and that host sees no request', async () => {
    const other = await recordingServer();
    const tracking = await trackingServer(() => `mlflow-artifacts://${new URL(other.origin).host}/1/r1/artifacts`);
    const client = createMlflowClient({ trackingUri: tracking.origin, username: 'alice', password: 's3cret' });

    const download = client.downloadArtifact({ runId: 'r1', path: 'model/weights.json' });

    await expect(download).rejects.toBeInstanceOf(MlflowInvalidArgumentError);
    await expect(download).rejects.toThrow(
      `invalid artifactUri: mlflow-artifacts://${new URL(other.origin).host}/1/r1/artifacts names ${other.origin}, not the tracking server ${tracking.origin}`,
    );
    expect(other.seen).toEqual([]);
    expect(tracking.seen.map((r) => [r.path, r.headers.authorization])).toEqual([
      ['/api/2.0/mlflow/runs/get?run_id=r1', BASIC],
    ]);
  });

  it('when the artifact location names the tracking server itself, then the download goes there with the credentials', async () => {
    const tracking = await trackingServer(() => `mlflow-artifacts://${new URL(tracking.origin).host}/1/r1/artifacts`);
    const client = createMlflowClient({ trackingUri: `${tracking.origin}/`, token: 't0ken' });

    const bytes = await client.downloadArtifact({ runId: 'r1', path: 'model/weights.json' });

    expect(new TextDecoder().decode(bytes)).toBe('weights');
    expect(tracking.seen.map((r) => [r.path, r.headers.authorization])).toEqual([
      ['/api/2.0/mlflow/runs/get?run_id=r1', 'Bearer t0ken'],
      ['/api/2.0/mlflow-artifacts/artifacts/1/r1/artifacts/model/weights.json', 'Bearer t0ken'],
    ]);
  });

  it('when a request URL is on another origin (absolute or scheme-relative), then it is refused before sending', () => {
    const base = new URL('http://127.0.0.1:5000/prefix');

    expect(() => buildUrl(base, 'http://127.0.0.1:5001/api/2.0/mlflow-artifacts/artifacts/x', undefined)).toThrow(
      'invalid request URL: http://127.0.0.1:5001 is not the tracking server http://127.0.0.1:5000',
    );
    expect(() => buildUrl(new URL('http://127.0.0.1:5000'), '//evil.test/x', undefined)).toThrow(
      MlflowInvalidArgumentError,
    );
    expect(buildUrl(base, '/api/2.0/mlflow/runs/get', { run_id: 'r1' }).href).toBe(
      'http://127.0.0.1:5000/prefix/api/2.0/mlflow/runs/get?run_id=r1',
    );
  });
});
