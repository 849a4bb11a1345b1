import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';

/** A process as the operating system describes it now. */
export interface ProcessInfo {
  readonly pid: number;
  /** Its process group: its own pid for nats-server and MLflow, which lead a group of their own. */
  readonly pgid: number;
  /** Ended, waiting for a parent to reap it (an orphan's parent may never do it): as good as gone. */
  readonly zombie: boolean;
  /**
   * When it started, as an opaque token equal for the same process only: on Linux the boot id and the kernel's start
   * tick (no wall clock, so a clock step changes nothing), elsewhere `ps`'s start time.
   */
  readonly start: string;
  /** Its whole command line, arguments joined by spaces. */
  readonly args: string;
}

/** Reads processes: one by pid, and the live members of a process group. */
export interface ProcessTable {
  /** Undefined when no process has that pid. */
  describe(pid: number): Promise<ProcessInfo | undefined>;
  /** The pids of a process group's members that have not ended (zombies aside). */
  groupMembers(pgid: number): Promise<number[]>;
}

/** Thrown when the process table cannot be read: nothing can be said about any process. */
export class ProcessTableUnavailable extends Error {}

/** Linux's /proc; `ps` elsewhere (macOS and the BSDs). */
export function systemProcessTable(): ProcessTable {
  return process.platform === 'linux' ? PROC_TABLE : PS_TABLE;
}

/** The start token of a process, or null when it cannot be read (ended already, no process table). */
export async function processStart(pid: number, table = systemProcessTable()): Promise<string | null> {
  return (await table.describe(pid).catch(() => undefined))?.start ?? null;
}

let bootId: Promise<string> | undefined;

const PROC_TABLE: ProcessTable = {
  async describe(pid) {
    let stat: string;
    let cmdline: string;
    try {
      [stat, cmdline] = await Promise.all([
        readFile(`/proc/${pid}/stat`, 'utf8'),
        readFile(`/proc/${pid}/cmdline`, 'utf8'),
      ]);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ESRCH') return;
      // Another user's process under hidepid: none of ours, whatever it is.
      if (code === 'EACCES' || code === 'EPERM') return { pid, pgid: -1, zombie: false, start: FOREIGN, args: '' };
      throw new ProcessTableUnavailable(`cannot read /proc/${pid}`, { cause: err });
    }
    bootId ??= readFile('/proc/sys/kernel/random/boot_id', 'utf8').then((text) => text.trim());
    const fields = parseProcStat(stat);
    const boot = await bootId.catch((err: unknown) => {
      throw new ProcessTableUnavailable('cannot read the boot id', { cause: err });
    });
    const args = cmdline.replace(/\0+$/, '').replaceAll('\0', ' ');
    return { pid, pgid: fields.pgid, zombie: fields.state === 'Z', start: `${boot}:${fields.startTicks}`, args };
  },
  async groupMembers(pgid) {
    const entries = await readdir('/proc').catch((err: unknown) => {
      throw new ProcessTableUnavailable('cannot list /proc', { cause: err });
    });
    const pids = entries.filter((entry) => /^\d+$/.test(entry));
    const members: number[] = [];
    for (let i = 0; i < pids.length; i += 64) {
      const stats = await Promise.all(pids.slice(i, i + 64).map((pid) => readStat(pid)));
      for (const stat of stats)
        if (stat !== undefined && stat.pgid === pgid && stat.state !== 'Z') members.push(stat.pid);
    }
    return members;
  },
};

/** The token of a process none of ours can be (another user's, unreadable). */
const FOREIGN = 'foreign';

/** A process's stat, undefined when it ended meanwhile or is another user's; other errors make the table unreadable. */
async function readStat(pid: string): Promise<ReturnType<typeof parseProcStat> | undefined> {
  try {
    return parseProcStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH' || code === 'EACCES' || code === 'EPERM') return undefined;
    throw new ProcessTableUnavailable(`cannot read /proc/${pid}/stat`, { cause: err });
  }
}

/**
 * The start token of a process read at once (Linux, from /proc), so that it is recorded with the pid in one change;
 * null elsewhere or when it cannot be read (then {@link processStart} reads it later).
 */
export function processStartNow(pid: number): string | null {
  if (process.platform !== 'linux') return null;
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    return `${boot}:${parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8')).startTicks}`;
  } catch {
    return null;
  }
}

/** The fields of `/proc/<pid>/stat` used here (after the command name, which may hold spaces and parentheses). */
export function parseProcStat(stat: string): { pid: number; state: string; pgid: number; startTicks: string } {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { pid: Number.parseInt(stat, 10), state: rest[0] ?? '', pgid: Number(rest[2]), startTicks: rest[19] ?? '' };
}

const PS_LINE = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(\w{3}\s+\w{3}\s+\d+\s+\d+:\d+:\d+\s+\d+)\s+(.*)$/;

const PS_TABLE: ProcessTable = {
  async describe(pid) {
    const out = await runPs(['-ww', '-o', 'pid=,pgid=,stat=,lstart=,args=', '-p', String(pid)]);
    return parsePsLine(out.split('\n')[0] ?? '');
  },
  async groupMembers(pgid) {
    const out = await runPs(['-A', '-o', 'pid=,pgid=,stat=']);
    return out
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter(([pid, group, stat]) => Number(pid) > 0 && Number(group) === pgid && !stat?.startsWith('Z'))
      .map(([pid]) => Number(pid));
  },
};

/** One line of `ps -o pid=,pgid=,stat=,lstart=,args=`; undefined when it is not one. */
export function parsePsLine(line: string): ProcessInfo | undefined {
  const match = PS_LINE.exec(line);
  if (match === null) return undefined;
  const [, pid, pgid, stat, lstart, args] = match as unknown as [string, string, string, string, string, string];
  const start = lstart.replace(/\s+/g, ' ');
  return { pid: Number(pid), pgid: Number(pgid), zombie: stat.startsWith('Z'), start, args };
}

/** `ps`'s output; empty when it matched nothing (exit 1, nothing on stderr); anything else makes the table unreadable. */
function runPs(args: string[]): Promise<string> {
  const { COLUMNS: _columns, ...env } = process.env; // COLUMNS would cut the command line short
  return new Promise((resolve, reject) => {
    // UTC: the start time is printed in local time, and the next run may have another time zone.
    execFile('ps', args, { env: { ...env, LC_ALL: 'C', TZ: 'UTC' } }, (err, stdout, stderr) => {
      if (err === null) resolve(stdout);
      else if (err.code === 1 && stderr.trim() === '') resolve('');
      else reject(new ProcessTableUnavailable(`ps ${args.join(' ')} failed: ${stderr.trim() || err.message}`));
    });
  });
}
