/** `@mlops/trainer`: the trainer service, for in-process use (tests, the local stack). */
export { natsTrainerBus } from './adapters/nats-bus.js';
export type { TrainerConfig } from './config.js';
export { configSchema, loadConfig } from './config.js';
export { createTrainer } from './service.js';
