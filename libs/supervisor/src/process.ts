import { SupervisorError } from './errors.js';
import type { ExitListener, ExitStatus } from './exit.js';
import { type LineListener, OutputLog } from './output.js';
import { type ProbeTarget, type Readiness, waitReady } from './readiness.js';
import { Run } from './run.js';

/** The pino-compatible logger the supervisor reports starts and exits to (pass a pino logger or a child of one). */
export interface SupervisorLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** What to run and how to treat it; a restart runs the same spec again. */
export interface ProcessSpec {
  /** Names the process in errors and log lines. */
  readonly name: string;
  /** An executable path or a name on PATH; for Node children pass `process.execPath`. */
  readonly command: string;
  readonly args?: readonly string[] | undefined;
  readonly cwd?: string | undefined;
  /** The child's whole environment. @defaultValue process.env */
  readonly env?: NodeJS.ProcessEnv | undefined;
  /** Output lines kept in memory, across runs. @defaultValue 200 */
  readonly keepLines?: number | undefined;
  /** Also append every output line to this file (its directory must exist). */
  readonly logFile?: string | undefined;
  /** How long stop() waits after SIGTERM before SIGKILL. @defaultValue 10000 */
  readonly stopGraceMs?: number | undefined;
  /**
   * Own process group (the default): signals reach the child's children too (a server's workers), and a terminal's
   * Ctrl-C does not. `false` keeps the child in this process's group, so that Ctrl-C reaches it as well.
   */
  readonly processGroup?: boolean | undefined;
  /** Waited for by start and restart; without it a process counts as started once spawned. */
  readonly readiness?: Readiness | undefined;
  readonly logger?: SupervisorLogger | undefined;
  /**
   * Aborted, SIGKILLs the current run (its process group too) at once, from the spawn on, readiness or not: how a
   * caller that must end now (a second Ctrl-C, a crash) leaves nothing behind. Once it is aborted nothing more is
   * spawned: a start or a restart (even one stopping the old run at that moment) fails.
   */
  readonly killSignal?: AbortSignal | undefined;
  /** Called with each run's pid as it is spawned (start and restarts, before readiness): to record it at once. */
  readonly onSpawn?: ((pid: number) => void) | undefined;
  /**
   * Called by restart() before it spawns again, with the output lines of the run that ended: what to change in the
   * spec for this run and the next ones (a new port when the old one was taken), or undefined to run it unchanged.
   */
  readonly beforeRespawn?: ((ended: readonly string[]) => Promise<RespawnChanges | undefined>) | undefined;
}

/** What a restart may change in a process's spec (see `beforeRespawn`). */
export interface RespawnChanges {
  readonly env?: NodeJS.ProcessEnv | undefined;
  readonly readiness?: Readiness | undefined;
}

/** A child process under supervision: its output, its readiness, its end, and the ways to end or rerun it. */
export interface SupervisedProcess extends ProbeTarget {
  /** The pid of the current run; undefined if it could not be spawned. */
  readonly pid: number | undefined;
  /** Resolves (never rejects) when the current run ends. */
  readonly exited: Promise<ExitStatus>;
  /** The last lines printed, across runs, joined with newlines (for failure messages). */
  output(): string;
  /** Adds a listener for each whole output line; returns its remover. */
  onLine(listener: LineListener): () => void;
  /** Adds a listener called when any run ends (the hook for a restart-on-crash policy); returns its remover. */
  onExit(listener: ExitListener): () => void;
  /** Sends a signal (to the process group) without waiting (SIGSTOP, SIGCONT, ...); an ending it causes is a crash. */
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after the grace period; resolves when the run has ended. */
  stop(graceMs?: number): Promise<ExitStatus>;
  /** SIGKILL at once (a crash for fault tests); resolves when the run has ended. */
  kill(): Promise<ExitStatus>;
  /**
   * Stops the current run if it is still going (and kills what is left of its process group), spawns the same spec
   * again (as `beforeRespawn` changes it) and waits for readiness.
   */
  restart(): Promise<void>;
}

/** Spawns `spec` and waits for its readiness; if it exits or is not ready in time, it is stopped and this throws. */
export async function startProcess(spec: ProcessSpec): Promise<SupervisedProcess> {
  refuseKilled(spec, 'not started');
  const supervised = new Supervised(spec);
  await supervised.ready();
  return supervised;
}

class Supervised implements SupervisedProcess {
  readonly name: string;
  private readonly log: OutputLog;
  private readonly exitListeners = new Set<ExitListener>();
  private run: Run;

  constructor(private spec: ProcessSpec) {
    this.name = spec.name;
    this.log = new OutputLog(spec.keepLines ?? 200, spec.logFile);
    this.run = this.spawn();
    spec.killSignal?.addEventListener('abort', () => {
      this.run.requested = true;
      this.run.signal('SIGKILL');
    });
  }

  get pid(): number | undefined {
    return this.run.child.pid;
  }

  get exited(): Promise<ExitStatus> {
    return this.run.exited;
  }

  exitStatus(): ExitStatus | undefined {
    return this.run.status;
  }

  runLines(): readonly string[] {
    return this.log.lines(this.run.firstLine);
  }

  output(): string {
    return this.log.lines().join('\n');
  }

  onLine(listener: LineListener): () => void {
    return this.log.onLine(listener);
  }

  onExit(listener: ExitListener): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  signal(signal: NodeJS.Signals): void {
    this.run.signal(signal);
  }

  async stop(graceMs = this.spec.stopGraceMs ?? 10_000): Promise<ExitStatus> {
    const run = this.run;
    if (run.status !== undefined) return reaped(run);
    run.requested = true;
    run.signal('SIGTERM');
    const timer = setTimeout(() => run.signal('SIGKILL'), graceMs);
    const status = await run.exited;
    clearTimeout(timer);
    return status;
  }

  async kill(): Promise<ExitStatus> {
    const run = this.run;
    if (run.status !== undefined) return reaped(run);
    run.requested = true;
    run.signal('SIGKILL');
    return await run.exited;
  }

  async restart(): Promise<void> {
    refuseKilled(this.spec, 'not restarted');
    await this.stop();
    this.run.reapGroup();
    const changes = await this.spec.beforeRespawn?.(this.log.lines(this.run.firstLine));
    if (changes !== undefined) this.spec = { ...this.spec, ...changes };
    refuseKilled(this.spec, 'not restarted'); // killed while the old run stopped: its listener killed that one only
    this.run = this.spawn();
    await this.ready();
  }

  /** Waits for the spec's readiness; the run is stopped before an error is thrown. */
  async ready(): Promise<void> {
    const readiness = this.spec.readiness;
    if (readiness === undefined) return;
    try {
      await waitReady(this, readiness);
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  private spawn(): Run {
    const { spec } = this;
    const run = new Run(
      {
        command: spec.command,
        args: spec.args ?? [],
        cwd: spec.cwd,
        env: spec.env ?? process.env,
        processGroup: spec.processGroup ?? true,
      },
      this.log,
    );
    spec.logger?.info({ process: spec.name, pid: run.child.pid }, 'process started');
    if (run.child.pid !== undefined) spec.onSpawn?.(run.child.pid);
    void run.exited.then((status) => this.ended(status));
    return run;
  }

  private ended(status: ExitStatus): void {
    const fields = { process: this.name, code: status.code, signal: status.signal, error: status.error?.message };
    if (status.requested) this.spec.logger?.info(fields, 'process stopped');
    else this.spec.logger?.warn(fields, 'process exited on its own');
    for (const listener of this.exitListeners) listener(status);
  }
}

/** Nothing is spawned once the kill signal is aborted: its listener would never reach the new run. */
function refuseKilled(spec: ProcessSpec, what: string): void {
  if (spec.killSignal?.aborted) throw new SupervisorError(`${spec.name} was killed: ${what}`);
}

/** An ended run whose leftover group members (workers of a crashed server) are killed, as stop() promises. */
function reaped(run: Run): ExitStatus {
  run.reapGroup();
  return run.status!;
}
