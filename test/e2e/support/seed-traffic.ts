import { main as mlops } from '@mlops/cli';
import { makeClassification } from '@mlops/ml';

/** The default tuning's data: make_classification(1000 × 20, seed 42); served traffic reuses its rows. */
export const seedData = makeClassification({ nSamples: 1000, nFeatures: 20, randomState: 42 });

/** Row `i` (modulo 1000) of the seed data with its first `features` columns moved by `shift`. */
export function seedRow(i: number, shift = 0, features = 12): number[] {
  const at = i % 1000;
  return Array.from(seedData.X.data.subarray(at * 20, (at + 1) * 20), (v, j) => (j < features ? v + shift : v));
}

/** Scores seed rows [from, from + count) through POST /predict, 50 per request: their ids and the versions that answered. */
export async function serveSeedRows(predictorUrl: string, from: number, count: number, shift = 0, features = 12) {
  const ids: string[] = [];
  const versions = new Set<string>();
  for (let start = from; start < from + count; start += 50) {
    const rows = Array.from({ length: Math.min(50, from + count - start) }, (_, k) =>
      seedRow(start + k, shift, features),
    );
    const response = await fetch(`${predictorUrl}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ features: rows }),
    });
    if (response.status !== 200) throw new Error(`/predict answered ${response.status}: ${await response.text()}`);
    const body = (await response.json()) as { model: { version: string }; prediction_ids: string[] };
    ids.push(...body.prediction_ids);
    versions.add(body.model.version);
  }
  return { ids, versions };
}

/**
 * Sends labels through POST /feedback and fails unless every one was stored (202). A 404 (every refused id unknown:
 * the monitor has not read those predictions from the log yet, a few seconds behind while a tuning runs in this
 * process) is sent again, as a client would, up to 5 times a second apart: the labels stored before are duplicates.
 */
export async function sendFeedback(predictorUrl: string, labels: { prediction_id: string; label: number | string }[]) {
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(`${predictorUrl}/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(labels),
    });
    if (response.status === 202) return;
    if (response.status !== 404 || attempt > 5) {
      throw new Error(`/feedback answered ${response.status}: ${await response.text()}`);
    }
    await response.body?.cancel();
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** Runs the mlops CLI in this process against the stack's NATS; its output, stdout and stderr together. */
export async function runCli(natsUrl: string, args: string[]) {
  let out = '';
  const write = (t: string) => {
    out += t;
  };
  const code = await mlops(args, { stdout: write, stderr: write, cwd: process.cwd(), env: { NATS_URL: natsUrl } });
  return { code, out };
}
