import { type ChildProcess, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { ExitStatus } from './exit.js';
import { LineSplitter } from './lines.js';
import type { OutputLog, OutputStream } from './output.js';

/** What one spawn needs: the command line, where, with which environment. */
export interface SpawnSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  /** In its own process group, so that signals reach its children too (a server's workers). */
  readonly processGroup: boolean;
}

/** After the child has exited, how long its pipes may stay open (held by grandchildren) before the run ends anyway. */
const PIPE_DRAIN_MS = 1000;

/** One spawn of a supervised process: its output goes to the log, its end to `exited`. */
export class Run {
  readonly child: ChildProcess;
  readonly exited: Promise<ExitStatus>;
  /** The output line count when this run started: its own lines come after it. */
  readonly firstLine: number;
  status: ExitStatus | undefined;
  requested = false;
  private readonly processGroup: boolean;
  /** Whether reapGroup() already signalled the group. */
  private reaped = false;

  constructor(spec: SpawnSpec, output: OutputLog) {
    this.processGroup = spec.processGroup;
    this.firstLine = output.count();
    output.openFile();
    this.child = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd,
      env: spec.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: spec.processGroup,
    });
    const splitters = [capture(this.child.stdout, 'stdout', output), capture(this.child.stderr, 'stderr', output)];
    this.exited = this.watch(output).then(async (status) => {
      for (const splitter of splitters) splitter.flush();
      this.status = status;
      await output.closeFile();
      return status;
    });
  }

  /** Sends a signal to the process (to its whole group if it has one); never throws. */
  signal(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined || this.status !== undefined) return;
    try {
      if (this.processGroup) process.kill(-pid, signal);
      else this.child.kill(signal);
    } catch {
      this.child.kill(signal);
    }
  }

  /**
   * After the run has ended: SIGKILL whatever is left in its process group (a server's workers outlive a crashed
   * parent and keep its port); nothing to do for a run without a group of its own.
   */
  reapGroup(): void {
    const pid = this.child.pid;
    if (!this.processGroup || pid === undefined || this.status === undefined || this.reaped) return;
    // Once only: later, the group id could belong to processes that have nothing to do with this run.
    this.reaped = true;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // ESRCH: the group is empty, as it should be.
    }
  }

  private watch(output: OutputLog): Promise<ExitStatus> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const end = (code: number | null, signal: NodeJS.Signals | null, error?: Error) => {
        clearTimeout(timer);
        resolve({ code, signal, requested: this.requested, ...(error === undefined ? {} : { error }) });
      };
      this.child.once('error', (error) => {
        output.add(`[supervisor] ${error.message}`, 'stderr');
        if (this.child.pid === undefined) end(null, null, error);
      });
      this.child.once('exit', (code, signal) => {
        timer = setTimeout(() => end(code, signal), PIPE_DRAIN_MS);
      });
      this.child.once('close', (code: number | null, signal: NodeJS.Signals | null) => end(code, signal));
    });
  }
}

function capture(stream: Readable | null, name: OutputStream, output: OutputLog): LineSplitter {
  const splitter = new LineSplitter((line) => output.add(line, name));
  stream?.setEncoding('utf8');
  stream?.on('data', (text: string) => splitter.push(text));
  stream?.on('end', () => splitter.flush());
  return splitter;
}
