import type { ExitStatus } from '@mlops/supervisor';
import type { RestartPolicy } from './restart-policy.js';
import { describeExit, describeRestartFailure, type ProcessGaveUpEvent, type StackEvent } from './stack-events.js';

/** What a keeper needs of a supervised process: a service, nats-server or MLflow. */
export interface Restartable {
  readonly name: string;
  /** The pid of the current run. */
  readonly pid: number | undefined;
  /** Resolves when the current run ends. */
  readonly exited: Promise<ExitStatus>;
  /** The last output lines across runs, joined with newlines. */
  output(): string;
  /** Spawns the process again and waits for its readiness (throws, the run stopped, when it does not get ready). */
  restart(): Promise<void>;
  /** Stops the current run (SIGTERM, then SIGKILL). */
  stop(): Promise<unknown>;
}

/** A process handle (a server's) under the name the stack gives it. */
export function named(name: string, handle: Omit<Restartable, 'name'>): Restartable {
  return {
    name,
    get pid() {
      return handle.pid;
    },
    get exited() {
      return handle.exited;
    },
    output: () => handle.output(),
    restart: () => handle.restart(),
    stop: () => handle.stop(),
  };
}

/** Options of {@link ProcessKeeper}. */
export interface KeeperOptions {
  readonly policy: RestartPolicy;
  /** The process's log file, named in every event. */
  readonly log: string;
  /** Called for every exit, restart and crash loop. */
  readonly onEvent: (event: StackEvent) => void;
  /** Output lines quoted when giving up. @defaultValue 20 */
  readonly quotedLines?: number | undefined;
}

/**
 * Keeps one process running: each time it ends on its own it is restarted after the policy's wait (and must be ready
 * again, as at start), until the policy sees a crash loop. Exits that stop() asked for are not restarted.
 */
export class ProcessKeeper {
  private stopping = false;
  private wake: (() => void) | undefined;
  private restarting: Promise<void> | undefined;
  private restartCount = 0;
  /** Settles when the keeper no longer watches: stopped, or gave up. */
  readonly watching: Promise<void>;

  constructor(
    readonly target: Restartable,
    private readonly options: KeeperOptions,
  ) {
    this.watching = this.watch();
  }

  /** Restarts so far. */
  get restarts(): number {
    return this.restartCount;
  }

  /** From now on an exit is expected: no restart. Synchronous, so a whole stack can be marked before stopping. */
  release(): void {
    this.stopping = true;
    this.wake?.();
  }

  /** Releases the process and stops it, including a run a restart in progress has just spawned. */
  async stop(): Promise<void> {
    this.release();
    const restarting = this.restarting;
    await this.target.stop();
    if (restarting === undefined) return;
    await restarting.catch(() => undefined);
    await this.target.stop();
  }

  private async watch(): Promise<void> {
    for (;;) {
      const status = await this.target.exited;
      if (this.stopping || status.requested) return;
      if (!(await this.bringBack(describeExit(status)))) return;
    }
  }

  /**
   * Waits and restarts until a run is ready (true), or gives up or is released (false). Restarts that never get
   * ready each spend the readiness wait, so few fall in the crash-loop window: as many failed in a row give up too.
   */
  private async bringBack(firstReason: string): Promise<boolean> {
    let reason = firstReason;
    const since = Date.now();
    let failedRestarts = 0;
    for (;;) {
      const { policy } = this.options;
      if (failedRestarts >= policy.crashLoopExits) {
        this.emitGaveUp('never-ready', reason, failedRestarts, Date.now() - since);
        return false;
      }
      const decision = policy.onExit();
      if (decision.action === 'give-up') {
        this.emitGaveUp('exits-in-window', reason, decision.recentExits, decision.windowMs);
        return false;
      }
      this.emit({ type: 'exited', name: this.target.name, reason, delayMs: decision.delayMs, log: this.options.log });
      await this.pause(decision.delayMs);
      if (this.stopping) return false;
      try {
        this.restarting = this.target.restart();
        await this.restarting;
      } catch (err) {
        if (this.stopping) return false;
        reason = describeRestartFailure(err);
        failedRestarts += 1;
        continue;
      } finally {
        this.restarting = undefined;
      }
      this.restartCount += 1;
      const { name, pid } = this.target;
      this.emit({ type: 'restarted', name, pid, restarts: this.restartCount, log: this.options.log });
      return true;
    }
  }

  private emitGaveUp(rule: ProcessGaveUpEvent['rule'], reason: string, exits: number, windowMs: number): void {
    const lastLines = this.target
      .output()
      .split('\n')
      .filter((line) => line !== '')
      .slice(-(this.options.quotedLines ?? 20));
    const { name } = this.target;
    this.emit({ type: 'gave-up', name, rule, reason, exits, windowMs, log: this.options.log, lastLines });
  }

  private emit(event: StackEvent): void {
    if (!this.stopping) this.options.onEvent(event);
  }

  private async pause(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = undefined;
  }
}
