import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/** A spawned server process whose output is kept for error messages. */
export interface ManagedProcess {
  readonly child: ChildProcess;
  /** The last lines the process printed (stdout and stderr). */
  output(): string;
  /** Set once the process has exited. */
  exited(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** SIGTERM, then SIGKILL after the grace period; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** Sends a signal to the whole process group (SIGSTOP, SIGCONT, ...) without waiting. */
  signal(signal: NodeJS.Signals): void;
  /** SIGKILL to the whole process group; resolves when the process is gone (a crash, not a shutdown). */
  kill(): Promise<void>;
}

/** Spawns a server in its own process group so that stop() also ends its children (uvicorn workers). */
export function spawnManaged(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
  keepLines = 200,
): ManagedProcess {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const lines: string[] = [];
  const keeper =
    (partial = { text: '' }) =>
    (chunk: Buffer) => {
      // A chunk may end inside a line: the rest of it comes with the next chunk.
      const parts = (partial.text + chunk.toString('utf8')).split('\n');
      partial.text = parts.pop() ?? '';
      lines.push(...parts.filter((line) => line !== ''));
      if (lines.length > keepLines) lines.splice(0, lines.length - keepLines);
    };
  child.stdout?.on('data', keeper());
  child.stderr?.on('data', keeper());
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const gone = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve();
    });
    child.once('error', (err) => {
      lines.push(String(err));
      exit = { code: -1, signal: null };
      resolve();
    });
  });
  return {
    child,
    output: () => lines.join('\n').trim(),
    exited: () => exit,
    async stop(graceMs = 10_000) {
      if (exit !== undefined) return;
      killGroup(child, 'SIGTERM');
      const timedOut = await Promise.race([gone.then(() => false), sleep(graceMs).then(() => true)]);
      if (timedOut) killGroup(child, 'SIGKILL');
      await gone;
    },
    signal: (signal) => killGroup(child, signal),
    async kill() {
      if (exit !== undefined) return;
      killGroup(child, 'SIGKILL');
      await gone;
    },
  };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

/** Polls `probe` until it answers true, the process exits, or the budget runs out; errors carry the output. */
export async function waitUntil(
  what: string,
  managed: ManagedProcess,
  probe: () => Promise<boolean>,
  budgetMs: number,
): Promise<void> {
  const deadline = Date.now() + budgetMs;
  while (Date.now() < deadline) {
    const exit = managed.exited();
    if (exit !== undefined) {
      throw new Error(`${what} exited early (code ${exit.code}, signal ${exit.signal}):\n${managed.output()}`);
    }
    if (await probe()) return;
    await sleep(200);
  }
  await managed.stop();
  throw new Error(`${what} not ready after ${budgetMs} ms:\n${managed.output()}`);
}
