/** `@mlops/testkit`: real infrastructure for tests — nats-server with JetStream and an MLflow tracking server. */

export type { TestCertificates } from './certificates.js';
export { createTestCertificates } from './certificates.js';
export type { MlflowServerHandle, MlflowServerOptions } from './mlflow-server.js';
export { projectMlflowBinary, startMlflowServer } from './mlflow-server.js';
export type { NatsServerHandle, NatsServerOptions } from './nats-server.js';
export { startNatsServer } from './nats-server.js';
export { canConnect, findFreePort } from './ports.js';
