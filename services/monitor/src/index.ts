/** `@mlops/monitor`: the monitor service, for in-process use (tests, the local stack). */

export type { MonitorConfig } from './config.js';
export { configSchema, loadConfig } from './config.js';
export type { MonitorService } from './service.js';
export { createMonitor } from './service.js';
