/** `@mlops/testkit`: real infrastructure for tests — nats-server with JetStream, an MLflow tracking server, PostgreSQL, service processes. */

export type {
  MlflowServerHandle,
  MlflowServerOptions,
  NatsServerHandle,
  NatsServerOptions,
  PostgresServerHandle,
  PostgresServerOptions,
  ServiceName,
} from '@mlops/local-stack';
export {
  projectMlflowBinary,
  serviceEntry,
  startMlflowServer,
  startNatsServer,
  startPostgresServer,
} from '@mlops/local-stack';
export { answersOk, canConnect, findFreePort } from '@mlops/supervisor';
export type { TestCertificates } from './certificates.js';
export { createTestCertificates } from './certificates.js';
export type { World } from './monitoring-world.js';
export { buildWorld, FEATURES, INFORMATIVE, logTraffic, registerWorldModel } from './monitoring-world.js';
export { childPids, liveProcesses, pidOf, runsWithGroup } from './processes.js';
export type { RegisteredTestModel, TestWeights } from './registered-model.js';
export { registerTestModel } from './registered-model.js';
export type { RetainedMemory } from './retained-memory.js';
export { retainedMemory } from './retained-memory.js';
export type { ServiceProcessHandle, ServiceProcessOptions } from './service-process.js';
export { startServiceProcess } from './service-process.js';
export { okReply, until, within } from './until.js';
