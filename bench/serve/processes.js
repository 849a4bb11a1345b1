// Child processes of the serving benchmark and the clean-up that ends every one of them, also on errors and Ctrl-C.
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/** Clean-ups still to run, newest first; each runs once. */
const cleanups = [];
/** Process groups still alive, for the synchronous last resort on exit. */
const groups = new Set();

/** Registers a clean-up (stop a server, remove a directory); {@link cleanUp} runs them newest first. */
export function onCleanUp(fn) {
  cleanups.unshift(fn);
}

/** Runs every registered clean-up, newest first, reporting (not throwing) failures. */
export async function cleanUp() {
  while (cleanups.length > 0) {
    const fn = cleanups.shift();
    try {
      await fn();
    } catch (error) {
      process.stderr.write(`bench:serve: clean-up failed: ${error.message}\n`);
    }
  }
}

/** Ctrl-C, SIGTERM and uncaught errors clean up before exiting; a plain exit kills what is still alive. */
export function installExitHandlers() {
  const bail = (code, why) => {
    process.stderr.write(`\nbench:serve: ${why}; stopping every process...\n`);
    void cleanUp().finally(() => process.exit(code));
  };
  process.once('SIGINT', () => bail(130, 'interrupted'));
  process.once('SIGTERM', () => bail(143, 'terminated'));
  process.once('uncaughtException', (error) => bail(1, `uncaught ${error.stack ?? error}`));
  process.once('unhandledRejection', (error) => bail(1, `unhandled ${error?.stack ?? error}`));
  process.on('exit', () => {
    for (const pid of groups) killGroup(pid, 'SIGKILL');
  });
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {}
}

/**
 * Spawns a server in its own process group (so stopping it also ends its workers) and registers its clean-up.
 * The last 200 output lines are kept for error messages.
 */
export function spawnServer(name, command, args, options = {}) {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const lines = [];
  const keep = (chunk) => {
    lines.push(...chunk.toString('utf8').split('\n'));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exit;
  const gone = new Promise((resolve) => {
    const ended = (state) => {
      exit = state;
      resolve();
    };
    child.once('exit', (code, signal) => ended({ code, signal }));
    child.once('error', (error) => ended({ code: -1, signal: null, error }));
  });
  groups.add(child.pid);
  const stop = async (graceMs = 5000) => {
    if (exit === undefined) {
      killGroup(child.pid, 'SIGTERM');
      if (await Promise.race([gone.then(() => false), sleep(graceMs).then(() => true)]))
        killGroup(child.pid, 'SIGKILL');
      await gone;
    }
    killGroup(child.pid, 'SIGKILL'); // workers left behind by a master that exited first
    groups.delete(child.pid);
  };
  onCleanUp(stop);
  return { name, child, stop, exited: () => exit, output: () => lines.join('\n').trim() };
}

/** Polls `url` until it answers 2xx; throws with the server's output when it exits first or the budget runs out. */
export async function waitForHttp(server, url, budgetMs) {
  const deadline = Date.now() + budgetMs;
  while (Date.now() < deadline) {
    const exit = server.exited();
    if (exit !== undefined) {
      throw new Error(`${server.name} exited early (${exit.code ?? exit.signal}):\n${server.output().slice(-3000)}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {}
    await sleep(200);
  }
  throw new Error(`${server.name} not ready at ${url} after ${budgetMs} ms:\n${server.output().slice(-3000)}`);
}
