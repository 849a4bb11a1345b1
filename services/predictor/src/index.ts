/** `@mlops/predictor`: the predictor service, for in-process use (tests, the local stack). */

export type { PredictorConfig } from './config.js';
export { configSchema, loadConfig } from './config.js';
export type { Predictor } from './service.js';
export { createPredictor } from './service.js';
