import { type KeeperOptions, ProcessKeeper, type Restartable } from './keeper.js';
import { type Clock, RestartPolicy, type RestartPolicyOptions } from './restart-policy.js';
import type { ProcessGaveUpEvent, StackEvent } from './stack-events.js';
import type { ProcessRecord, StackStateWriter } from './stack-state.js';

/** A process of the stack to keep running: what to restart, where it logs, what answers while it is healthy. */
export interface StackPart {
  readonly target: Restartable;
  readonly log: string;
  readonly health: string;
}

/** Options of {@link StackSupervision}. */
export interface SupervisionOptions {
  readonly policy?: RestartPolicyOptions | undefined;
  readonly clock?: Clock | undefined;
  readonly state: StackStateWriter;
  readonly onEvent?: ((event: StackEvent) => void) | undefined;
}

/**
 * One {@link ProcessKeeper} per process of the stack (each with its own restart policy), every event mirrored into
 * the state file; a crash loop of any process fails the stack (`failed`), the others keep running meanwhile.
 */
export class StackSupervision {
  /** Resolves with the first crash loop; never when all goes well. */
  readonly failed: Promise<ProcessGaveUpEvent>;
  private readonly keepers: ProcessKeeper[];
  private readonly clock: Clock;
  private readonly state: StackStateWriter;

  constructor(parts: readonly StackPart[], options: SupervisionOptions) {
    this.clock = options.clock ?? Date.now;
    this.state = options.state;
    let fail: (event: ProcessGaveUpEvent) => void = () => undefined;
    this.failed = new Promise((resolve) => {
      fail = resolve;
    });
    const recorded = (name: string) => options.state.state.processes.find((p) => p.name === name);
    options.state.putProcesses(parts.map((part) => initialRecord(part, recorded(part.target.name))));
    this.keepers = parts.map((part) => {
      const keeperOptions: KeeperOptions = {
        policy: new RestartPolicy(options.policy, this.clock),
        log: part.log,
        onEvent: (event) => {
          this.record(event);
          options.onEvent?.(event);
          if (event.type === 'gave-up') fail(event);
        },
      };
      return new ProcessKeeper(part.target, keeperOptions);
    });
  }

  /** Restarts so far, per process name. */
  restarts(): Record<string, number> {
    return Object.fromEntries(this.keepers.map((keeper) => [keeper.target.name, keeper.restarts]));
  }

  /** From now on no process is restarted (the stack is stopping: their exits are expected). */
  releaseAll(): void {
    for (const keeper of this.keepers) keeper.release();
  }

  /**
   * Releases every process (their ends are expected now), then stops them last first: services, MLflow, NATS. A stack
   * that gave up on a process (a crash loop) ends `failed`, any other `stopped`.
   */
  async stopAll(): Promise<void> {
    this.releaseAll();
    const gaveUp = this.state.state.state === 'failed';
    this.state.setStack('stopping');
    for (const keeper of [...this.keepers].reverse()) {
      await keeper.stop().catch(() => undefined);
      const name = keeper.target.name;
      const record = this.state.state.processes.find((p) => p.name === name);
      if (record?.state !== 'failed') this.state.updateProcess(name, { state: 'stopped', pid: null });
    }
    this.state.setStack(gaveUp ? 'failed' : 'stopped');
    await this.state.flush();
  }

  private record(event: StackEvent): void {
    const state = this.state;
    const at = new Date(this.clock()).toISOString();
    switch (event.type) {
      case 'exited':
        state.updateProcess(event.name, { state: 'restarting', pid: null, last_exit: { at, reason: event.reason } });
        return;
      case 'restarted':
        state.updateProcess(event.name, { state: 'running', pid: event.pid ?? null, restarts: event.restarts });
        return;
      case 'gave-up':
        state.updateProcess(event.name, { state: 'failed', pid: null, last_exit: { at, reason: event.reason } });
        state.setStack('failed');
        return;
    }
  }
}

/** A part's record once the stack is up; the start token recorded at its spawn is kept. */
function initialRecord(part: StackPart, spawned: ProcessRecord | undefined): ProcessRecord {
  const pid = part.target.pid ?? null;
  return {
    name: part.target.name,
    pid,
    start: spawned?.pid === pid ? (spawned?.start ?? null) : null,
    state: 'running',
    restarts: 0,
    last_exit: null,
    log: part.log,
    health: part.health,
  };
}
