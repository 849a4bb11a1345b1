/** `@mlops/tracker`: the tracker service, for in-process use (tests, the local stack). */

export type { TrackerConfig } from './config.js';
export { configSchema, loadConfig } from './config.js';
export { createTracker } from './service.js';
