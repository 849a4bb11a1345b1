/** `@mlops/supervisor`: the one way this repository runs child processes — the local stack and the tests alike. */

export { NotReadyError, ProcessExitedError, SupervisorError } from './errors.js';
export type { ExitListener, ExitStatus } from './exit.js';
export { FETCH_BAD_PORTS, fetchRefusesPort } from './fetch-ports.js';
export type { LineListener, OutputStream } from './output.js';
export type { ProbeHeaders } from './probes.js';
export { answersOk, canConnect, findFreePort, httpOk, httpOkFromItself, logLine, portOpen } from './probes.js';
export type { ProcessSpec, RespawnChanges, SupervisedProcess, SupervisorLogger } from './process.js';
export { startProcess } from './process.js';
export type { ProbeTarget, Readiness, ReadinessProbe } from './readiness.js';
