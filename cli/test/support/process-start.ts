import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';

/**
 * The start token `mlops up` records for a process in stack.json, read as libs/local-stack's process table reads it
 * (a unit test may not import the local stack): on Linux the boot id and the kernel's start tick from /proc, elsewhere
 * `ps`'s start time in UTC. Null when the process is gone. If the two ever disagree, `mlops down` takes the test's
 * stand-ins for other processes and its tests fail.
 */
export async function processStart(pid: number): Promise<string | null> {
  if (process.platform === 'linux') {
    try {
      const [boot, stat] = await Promise.all([
        readFile('/proc/sys/kernel/random/boot_id', 'utf8'),
        readFile(`/proc/${pid}/stat`, 'utf8'),
      ]);
      // After the command name (which may hold spaces and parentheses): field 22, the start tick, is the 20th.
      const startTicks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
      return `${boot.trim()}:${startTicks}`;
    } catch {
      return null;
    }
  }
  const { COLUMNS: _columns, ...env } = process.env;
  return await new Promise((resolve) => {
    execFile('ps', ['-o', 'lstart=', '-p', String(pid)], { env: { ...env, LC_ALL: 'C', TZ: 'UTC' } }, (err, out) =>
      resolve(err === null && out.trim() !== '' ? out.trim().replace(/\s+/g, ' ') : null),
    );
  });
}
