import {
  type MlflowServerHandle,
  type PostgresServerHandle,
  startMlflowServer,
  startPostgresServer,
} from '@mlops/testkit';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { expectCleanOutcome } from './support/outcome.js';
import { FaultStack } from './support/stack.js';

let postgres: PostgresServerHandle | undefined;
let mlflow: MlflowServerHandle | undefined;
let stack: FaultStack | undefined;

beforeAll(async () => {
  const started = Date.now();
  postgres = await startPostgresServer();
  const postgresMs = Date.now() - started;
  // psycopg2 named explicitly: SQLAlchemy 2.1 (MLflow's) takes a bare postgresql:// for psycopg 3, which the venv lacks.
  // The first start on an empty database runs every MLflow migration (slower than SQLite's).
  const backendStoreUri = postgres.url.replace(/^postgresql:/, 'postgresql+psycopg2:');
  mlflow = await startMlflowServer({ backendStoreUri, startupTimeoutMs: 180_000 });
  console.info(`PostgreSQL ready in ${postgresMs} ms, MLflow on it in ${Date.now() - started - postgresMs} ms`);
  stack = await FaultStack.start({ mlflowUri: mlflow.trackingUri });
}, 300_000);

afterAll(async () => {
  await stack?.stop();
  await mlflow?.stop();
  await postgres?.stop();
});

describe("MLflow's backend store on PostgreSQL", () => {
  it('when a tuning runs against MLflow on PostgreSQL, then the outcome is clean and its runs live in PostgreSQL', async () => {
    const s = stack!;
    const db = postgres!;
    onTestFailed(() => console.error(`${s.logs()}\n--- mlflow\n${mlflow?.output()}\n--- postgres\n${db.output()}`));
    const started = Date.now();
    const tuning = await s.tune({});
    const champion = await expectCleanOutcome(s, tuning);

    const ofExperiment = `join experiments e on e.experiment_id = r.experiment_id where e.name = '${s.modelName}'`;
    expect(await db.query(`select count(*) from runs r ${ofExperiment}`)).toBe(String(tuning.trialCount + 1));
    expect(await db.query(`select count(*) from runs r ${ofExperiment} and r.status = 'FINISHED'`)).toBe(
      String(tuning.trialCount + 1),
    );
    expect(await db.query(`select version from model_versions where name = '${s.modelName}'`)).toBe(champion.version);
    expect(
      await db.query(
        `select version from registered_model_aliases where name = '${s.modelName}' and alias = 'champion'`,
      ),
    ).toBe(champion.version);
    console.info(
      `tuning of ${tuning.trialCount} trials on MLflow/PostgreSQL: champion v${champion.version} after ${Date.now() - started} ms`,
    );
  }, 300_000);
});
