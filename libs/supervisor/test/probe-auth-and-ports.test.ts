import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { answersOk, FETCH_BAD_PORTS, fetchRefusesPort, httpOk, type ProbeTarget } from '../src/index.js';

// The HTTP readiness probe against a health route that wants a bearer token, and the ports fetch will not reach.

const TOKEN = 'abcdefghijklmnop1234';
const target: ProbeTarget = { name: 'server', exitStatus: () => undefined, runLines: () => [] };

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/** A /health that answers 200 to `Authorization: Bearer <TOKEN>` and 401 to anything else; resolves with its URL. */
async function protectedHealth(): Promise<string> {
  const http = createServer((req, res) => {
    res.writeHead(req.headers.authorization === `Bearer ${TOKEN}` ? 200 : 401).end();
  });
  server = http;
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(http.address() as { port: number }).port}/health`;
}

/** Why Node's fetch rejects a GET of the URL ('bad port', 'fetch failed', ...), or 'answered'. */
async function fetchOutcome(url: string): Promise<string> {
  try {
    await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(500) });
    return 'answered';
  } catch (err) {
    return String(((err as Error).cause as Error | undefined)?.message ?? (err as Error).message);
  }
}

describe('httpOk and answersOk with headers', () => {
  it('when the health route wants a bearer token, then the probe is ready only when it sends that token', async () => {
    const url = await protectedHealth();

    expect(await httpOk(url)(target)).toBe(false);
    expect(await httpOk(url, 1000, { authorization: 'Bearer wrong-token-of-20ch' })(target)).toBe(false);
    expect(await httpOk(url, 1000, { authorization: `Bearer ${TOKEN}` })(target)).toBe(true);
    expect(await answersOk(url, 1000, { authorization: `Bearer ${TOKEN}` })).toBe(true);
  });
});

describe('FETCH_BAD_PORTS', () => {
  it('when Node fetch is asked for ports 1 to 10100, then exactly the listed ones are refused as "bad port"', async () => {
    const refused: number[] = [];
    for (let port = 1; port <= 10_100; port++) {
      // A bad port is refused before any connection; on the others (loopback, mostly closed) a connection is refused
      // at once ("fetch failed") or something answers: either way not "bad port".
      if ((await fetchOutcome(`http://127.0.0.1:${port}/`)) === 'bad port') refused.push(port);
    }

    expect(refused).toEqual([...FETCH_BAD_PORTS].sort((a, b) => a - b));
    expect(refused.filter(fetchRefusesPort)).toEqual(refused);
    expect([0, 80, 443, 4222, 5000, 8080, 10081].filter(fetchRefusesPort)).toEqual([]);
  }, 120_000);
});
