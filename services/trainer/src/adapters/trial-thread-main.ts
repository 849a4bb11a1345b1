import { parentPort, workerData } from 'node:worker_threads';
import { serveTrialTasks } from './trial-thread.js';

// Worker-thread entry (the pool in trial-threads.ts starts it): serve trial tasks until the pool terminates it.
if (parentPort === null) throw new Error('trial-thread-main runs as a worker thread only');
serveTrialTasks(parentPort, (workerData as { dataDir: string }).dataDir);
