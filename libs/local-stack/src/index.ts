/** `@mlops/local-stack`: how nats-server, MLflow and the services are started and kept running — by `mlops up` and by the tests. */

export { SupervisorError } from '@mlops/supervisor';
export { LocalStackError } from './errors.js';
export { pidAlive, probeHealth } from './health.js';
export type { KeeperOptions, Restartable } from './keeper.js';
export { ProcessKeeper } from './keeper.js';
export type { Leftover, PreviousStack } from './leftovers.js';
export { inspectStack, stackWriterRuns, stopLeftovers } from './leftovers.js';
export type { MlflowServerHandle, MlflowServerKind, MlflowServerOptions } from './mlflow-server.js';
export { startMlflowServer } from './mlflow-server.js';
export type { NatsServerHandle, NatsServerOptions } from './nats-server.js';
export { startNatsServer } from './nats-server.js';
export { projectMlflowBinary } from './paths.js';
export type { PostgresServerHandle, PostgresServerOptions } from './postgres-server.js';
export { startPostgresServer } from './postgres-server.js';
export type { ProcessTable } from './process-table.js';
export { ProcessTableUnavailable, processStart, systemProcessTable } from './process-table.js';
export type { Clock, RestartDecision, RestartPolicyOptions } from './restart-policy.js';
export { DEFAULT_RESTART_POLICY, RestartPolicy } from './restart-policy.js';
export type { ServiceName, ServiceOptions } from './service.js';
export { serviceEntry, startService } from './service.js';
export type { LocalStack, LocalStackDirs, LocalStackOptions, LocalStackPorts, StackFailure } from './stack.js';
export { DEFAULT_PORTS, startLocalStack } from './stack.js';
export type { ProcessExitedEvent, ProcessGaveUpEvent, ProcessRestartedEvent, StackEvent } from './stack-events.js';
export { describeExit, formatStackEvent } from './stack-events.js';
export type { LastExit, ProcessRecord, ProcessState, StackLifecycle, StackState } from './stack-state.js';
export { readStackState, STACK_STATE_FILE, stackStateFile } from './stack-state.js';
