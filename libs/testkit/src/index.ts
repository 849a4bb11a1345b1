/** `@mlops/testkit`: real infrastructure for tests — nats-server with JetStream, an MLflow tracking server, service processes. */

export type { TestCertificates } from './certificates.js';
export { createTestCertificates } from './certificates.js';
export type { MlflowServerHandle, MlflowServerOptions } from './mlflow-server.js';
export { projectMlflowBinary, startMlflowServer } from './mlflow-server.js';
export type { NatsServerHandle, NatsServerOptions } from './nats-server.js';
export { startNatsServer } from './nats-server.js';
export { answersOk, canConnect, findFreePort } from './ports.js';
export type { RegisteredTestModel, TestWeights } from './registered-model.js';
export { registerTestModel } from './registered-model.js';
export type { ServiceName, ServiceProcessHandle, ServiceProcessOptions } from './service-process.js';
export { serviceEntry, startServiceProcess } from './service-process.js';
