/** `@mlops/local-stack`: how nats-server, MLflow and the services are started — by `mlops up` and by the tests. */

export { LocalStackError } from './errors.js';
export type { MlflowServerHandle, MlflowServerOptions } from './mlflow-server.js';
export { startMlflowServer } from './mlflow-server.js';
export type { NatsServerHandle, NatsServerOptions } from './nats-server.js';
export { startNatsServer } from './nats-server.js';
export { projectMlflowBinary } from './paths.js';
export type { ServiceName, ServiceOptions } from './service.js';
export { serviceEntry, startService } from './service.js';
export type { LocalStack, LocalStackDirs, LocalStackOptions, LocalStackPorts, StackExit } from './stack.js';
export { DEFAULT_PORTS, startLocalStack } from './stack.js';
