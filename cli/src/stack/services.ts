import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** One service process of the local stack, logging JSON lines to its own file. */
export interface ServiceProcess {
  readonly name: string;
  readonly logFile: string;
  /** Resolves with the exit code once the process ends. */
  readonly exited: Promise<number | null>;
  stop(graceMs?: number): Promise<void>;
}

/** Starts `node <entry>` with the given environment; stdout and stderr go to `<logDir>/<name>.log`. */
export function startServiceProcess(
  name: string,
  entry: string,
  env: NodeJS.ProcessEnv,
  logDir: string,
): ServiceProcess {
  const logFile = join(logDir, `${name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const child: ChildProcess = spawn(process.execPath, [entry], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    name,
    logFile,
    exited,
    async stop(graceMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timedOut = await Promise.race([exited.then(() => false), sleep(graceMs).then(() => true)]);
      if (timedOut) child.kill('SIGKILL');
      await exited;
      log.end();
    },
  };
}

/** Polls an HTTP URL until it answers 2xx, or fails naming the service and its log file. */
export async function waitForHttp(service: ServiceProcess, url: string, budgetMs: number): Promise<void> {
  const deadline = Date.now() + budgetMs;
  let exitCode: number | null | undefined;
  void service.exited.then((code) => {
    exitCode = code;
  });
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`${service.name} exited with code ${exitCode}: see ${service.logFile}`);
    const ok = await fetch(url, { signal: AbortSignal.timeout(1000) })
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return;
    await sleep(250);
  }
  throw new Error(`${service.name} not ready at ${url} after ${budgetMs} ms: see ${service.logFile}`);
}
