import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { type ExitStatus, findFreePort, type SupervisorLogger, startProcess } from '@mlops/supervisor';
import { LocalStackError } from './errors.js';

const run = promisify(execFile);

/** A running PostgreSQL server in a temporary directory (a test's MLflow backend store), with one database. */
export interface PostgresServerHandle {
  /** `postgresql://<user>:<password>@127.0.0.1:<port>/<database>`: the database's owner, over TCP. */
  readonly url: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  /** The temporary directory holding the cluster (`data/`) and the unix socket (`socket/`), removed on stop. */
  readonly dir: string;
  /** The directory of the PostgreSQL programs used (initdb, postgres, psql). */
  readonly binDir: string;
  /** The pid of the postmaster. */
  readonly pid: number | undefined;
  /** Resolves when the postmaster ends, on request or not. */
  readonly exited: Promise<ExitStatus>;
  /** The server's recent log lines, for failure messages. */
  output(): string;
  /** Runs SQL through psql as the database's owner (over `url`); returns the rows unaligned, `|`-separated. */
  query(sql: string): Promise<string>;
  /** Fast shutdown (SIGINT: open sessions are ended), then removes the directory. */
  stop(): Promise<void>;
}

/** Options for {@link startPostgresServer}. */
export interface PostgresServerOptions {
  /** Where initdb, postgres and psql are. @defaultValue the newest `/usr/lib/postgresql/<n>/bin`, else `initdb`'s directory on PATH */
  readonly binDir?: string;
  /** The system user the server runs as when this process is root (PostgreSQL refuses root). @defaultValue `postgres` */
  readonly osUser?: string;
  /** @defaultValue `mlflow` */
  readonly database?: string;
  /** The database's owner, with a random password. @defaultValue `mlflow` */
  readonly user?: string;
  /** @defaultValue 30000 */
  readonly startupTimeoutMs?: number;
  /** Also append the server's output to this file. */
  readonly logFile?: string | undefined;
  readonly logger?: SupervisorLogger | undefined;
}

const INSTALL_HINT = "install Debian's PostgreSQL server (apt-get install -y postgresql) or run bash scripts/setup.sh";

/** Initializes a throwaway cluster, starts `postgres` on a free loopback port and creates a database and its owner. */
export async function startPostgresServer(options: PostgresServerOptions = {}): Promise<PostgresServerHandle> {
  const binDir = options.binDir ?? findPostgresBinDir();
  if (binDir === undefined || !existsSync(join(binDir, 'initdb')) || !existsSync(join(binDir, 'postgres'))) {
    throw new LocalStackError(
      `PostgreSQL server not found (no initdb and postgres in ${binDir ?? '/usr/lib/postgresql/*/bin or on PATH'}): ${INSTALL_HINT}`,
    );
  }
  const bin = (name: string) => join(binDir, name);
  const owner = await serverOwner(options.osUser ?? 'postgres');
  const dir = await mkdtemp(join(tmpdir(), 'mlops-postgres-'));
  const removeDir = () => rm(dir, { recursive: true, force: true });
  const dataDir = join(dir, 'data');
  const socketDir = join(dir, 'socket');
  const database = options.database ?? 'mlflow';
  const user = options.user ?? 'mlflow';
  const password = randomBytes(12).toString('hex');
  const port = await findFreePort();
  try {
    await mkdir(socketDir, { mode: 0o700 });
    if (owner !== undefined) {
      await chown(dir, owner.uid, owner.gid);
      await chown(socketDir, owner.uid, owner.gid);
    }
    const asOwner = (command: string, args: readonly string[]) =>
      owner === undefined
        ? { command, args: [...args] }
        : {
            command: 'setpriv',
            args: [`--reuid=${owner.uid}`, `--regid=${owner.gid}`, '--clear-groups', command, ...args],
          };
    // Trust on the unix socket (in a directory only the owner can enter) for the set-up below; passwords over TCP.
    const initdb = asOwner(bin('initdb'), [
      ...['-D', dataDir, '-U', 'postgres', '-E', 'UTF8', '--no-locale', '--no-sync'],
      ...['--auth-local=trust', '--auth-host=scram-sha-256'],
    ]);
    await run(initdb.command, initdb.args, { cwd: dir }).catch((err: unknown) => {
      throw new LocalStackError(`initdb failed in ${dataDir}: ${failure(err)}`, { cause: err });
    });
    const postgres = asOwner(bin('postgres'), [
      ...[
        '-D',
        dataDir,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        `unix_socket_directories=${socketDir}`,
      ],
      // A throwaway cluster: durability buys nothing here, and costs seconds on a busy disk.
      ...['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
    ]);
    const server = await startProcess({
      name: 'postgres',
      command: postgres.command,
      args: postgres.args,
      cwd: dir,
      readiness: {
        probe: () => accepting(bin('pg_isready'), socketDir, port),
        timeoutMs: options.startupTimeoutMs ?? 30_000,
      },
      logFile: options.logFile,
      logger: options.logger,
    });
    const stop = async () => {
      // SIGTERM (the supervisor's) would wait for MLflow's pooled sessions to end; SIGINT ends them.
      if (server.pid !== undefined && server.exitStatus() === undefined) process.kill(server.pid, 'SIGINT');
      const patience = new AbortController();
      await Promise.race([server.exited, sleep(10_000, undefined, { signal: patience.signal }).catch(() => undefined)]);
      patience.abort(); // the wait's timer would keep the process alive 10 s after a quick stop
      await server.stop(5000);
      await removeDir();
    };
    try {
      const psql = (sql: string) =>
        run(bin('psql'), [
          '-h',
          socketDir,
          '-p',
          String(port),
          '-U',
          'postgres',
          '-d',
          'postgres',
          '-v',
          'ON_ERROR_STOP=1',
          '-c',
          sql,
        ]);
      await psql(`CREATE ROLE ${user} LOGIN PASSWORD '${password}'`);
      await psql(`CREATE DATABASE ${database} OWNER ${user}`);
    } catch (err) {
      await stop();
      throw new LocalStackError(`could not create database ${database} on PostgreSQL: ${failure(err)}`, { cause: err });
    }
    const url = `postgresql://${user}:${password}@127.0.0.1:${port}/${database}`;
    return {
      url,
      port,
      database,
      user,
      dir,
      binDir,
      get pid() {
        return server.pid;
      },
      get exited() {
        return server.exited;
      },
      output: () => server.output(),
      async query(sql: string) {
        const { stdout } = await run(bin('psql'), [url, '-v', 'ON_ERROR_STOP=1', '-X', '-A', '-t', '-c', sql]);
        return stdout.trim();
      },
      stop,
    };
  } catch (err) {
    await removeDir();
    throw err;
  }
}

/** The newest `/usr/lib/postgresql/<n>/bin` (Debian's layout), else the directory `initdb` on PATH resolves to. */
function findPostgresBinDir(): string | undefined {
  const debian = '/usr/lib/postgresql';
  const versions = existsSync(debian)
    ? readdirSync(debian)
        .filter((v) => /^\d+$/.test(v) && existsSync(join(debian, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length > 0) return join(debian, versions[0]!, 'bin');
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && existsSync(join(dir, 'initdb'))) return dir;
  }
  return undefined;
}

/** Root must hand the cluster to an unprivileged system user (PostgreSQL refuses to run as root); others run it themselves. */
async function serverOwner(osUser: string): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', osUser]), run('id', ['-g', osUser])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch (err) {
    throw new LocalStackError(
      `PostgreSQL cannot run as root, and there is no system user ${osUser} to run it as: ${INSTALL_HINT} (it creates the user)`,
      { cause: err },
    );
  }
}

/** pg_isready: the server accepts connections (not just its port: it refuses sessions while it starts up). */
async function accepting(pgIsready: string, socketDir: string, port: number): Promise<boolean> {
  try {
    await run(pgIsready, ['-q', '-h', socketDir, '-p', String(port)], { timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

function failure(err: unknown): string {
  const stderr = (err as { stderr?: string }).stderr?.trim();
  return stderr || (err instanceof Error ? err.message : String(err));
}
