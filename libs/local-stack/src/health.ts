import { answersOk, canConnect } from '@mlops/supervisor';

/** True when a health address of the state file answers: an HTTP URL with 2xx, or `tcp://host:port` accepting. */
export async function probeHealth(address: string, timeoutMs = 2000): Promise<boolean> {
  const url = new URL(address);
  if (url.protocol === 'tcp:') return await canConnect(Number(url.port), url.hostname);
  return await answersOk(address, timeoutMs);
}

/** True while a process with this pid exists (signal 0: nothing is sent). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
