import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { auditRestore, carryOverKeysAndAudit, compareWithCurrent, type RestoreReport } from './restore-report.js';

/** Tables every registry database has; a file without them is not a registry backup. */
export const REGISTRY_TABLES = ['change_sets', 'platforms', 'platform_revisions', 'api_keys', 'idempotency_keys', 'audit_log'] as const;

/** A refusal the CLIs print as is: what is wrong and what to do. */
export class BackupError extends Error {
  override readonly name = 'BackupError';
}

export interface BackupResult {
  path: string;
  /** Registry version the file holds. */
  version: number;
  bytes: number;
}

export interface RestoreResult extends BackupResult {
  /** Where the database that was replaced is kept, or null when there was none. */
  previous: string | null;
  /** What the restore changed beyond the registry data (keys, audit log, later versions); null when there was no database. */
  report: RestoreReport | null;
}

export interface RestoreOptions {
  /** Carry the current database's api_keys and audit_log over into the restored one. */
  keepKeysAndAudit?: boolean;
  /** Restore even though keys revoked since the backup would be active again. */
  allowRevivedKeys?: boolean;
}

/**
 * Compares the verified copy of the backup with the database it replaces, refuses to bring revoked keys
 * back unless told, carries keys and audit over when asked, and records the restore in the audit log.
 */
function prepareRestore(copy: string, backup: string, target: string, version: number, options: RestoreOptions): RestoreReport | null {
  const db = new Database(copy, { fileMustExist: true });
  try {
    let report: RestoreReport | null = null;
    if (existsSync(target)) {
      try {
        db.prepare('attach database ? as current').run(target);
      } catch (error) {
        if (options.keepKeysAndAudit)
          throw new BackupError(`The current database at ${target} cannot be read to keep its keys and audit log (${message(error)}).`);
      }
      const attached = (db.prepare(`select count(*) as n from pragma_database_list where name = 'current'`).get() as { n: number }).n > 0;
      const hasTables =
        attached &&
        REGISTRY_TABLES.every((t) => db.prepare(`select 1 from current.sqlite_master where type = 'table' and name = ?`).get(t));
      if (options.keepKeysAndAudit && !hasTables) {
        throw new BackupError(`The current database at ${target} is not a registry database; there are no keys or audit log to keep.`);
      }
      if (hasTables) {
        report = { ...compareWithCurrent(db), keptKeysAndAudit: options.keepKeysAndAudit === true };
        if (report.keysRevived.length > 0 && !options.keepKeysAndAudit && !options.allowRevivedKeys) {
          throw new BackupError(
            `Refusing to restore: the backup would make key(s) revoked since it was taken active again (${report.keysRevived.join(', ')}). ` +
              'Restore with --keep-keys-and-audit to keep the current keys and audit log, or with --allow-revived-keys and revoke them again afterwards. Nothing was changed.',
          );
        }
        if (options.keepKeysAndAudit) carryOverKeysAndAudit(db);
      }
      if (attached) db.prepare('detach database current').run();
    }
    auditRestore(db, backup, version);
    return report;
  } finally {
    db.close();
  }
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** A temporary file beside `target`, so the final rename stays on one file system and is atomic. */
const tempBeside = (target: string) => join(dirname(target), `.${basename(target)}.${process.pid}-${Date.now()}.tmp`);

function fsyncPath(path: string) {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Makes a rename durable; best effort, since some platforms cannot open a directory for fsync. */
function fsyncDirectory(path: string) {
  try {
    fsyncPath(path);
  } catch {
    // The rename still happened; only its durability across a power cut is not forced.
  }
}

function removeSidecars(path: string) {
  for (const suffix of ['-wal', '-shm', '-journal']) rmSync(`${path}${suffix}`, { force: true });
}

/**
 * Checks that `path` is a sound registry database and makes it self-contained (rollback journal, no
 * -wal beside it). Returns its registry version. Opens the file read-write: use it on copies.
 */
function verifyAndSeal(path: string, what: string): number {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { fileMustExist: true });
    const integrity = db.pragma('integrity_check') as { integrity_check: string }[];
    const problems = integrity.map((row) => row.integrity_check).filter((line) => line !== 'ok');
    if (problems.length > 0) throw new BackupError(`${what} is damaged (integrity_check: ${problems.slice(0, 3).join('; ')}).`);
    const tables = new Set(
      (db.prepare(`select name from sqlite_master where type = 'table'`).all() as { name: string }[]).map((row) => row.name),
    );
    const missing = REGISTRY_TABLES.filter((table) => !tables.has(table));
    if (missing.length > 0) throw new BackupError(`${what} is not a registry database (no ${missing.join(', ')} table).`);
    const version = (db.prepare('select coalesce(max(version), 0) as version from change_sets').get() as { version: number }).version;
    db.pragma('journal_mode = DELETE');
    return version;
  } catch (error) {
    if (error instanceof BackupError) throw error;
    throw new BackupError(`${what} is not a readable SQLite database (${message(error)}).`);
  } finally {
    db?.close();
  }
}

/**
 * Takes a consistent copy of the live database at `sourcePath` into `targetPath`, safe while a server
 * reads and writes it. SQLite's online backup runs on a read-only connection and copies every page
 * in a single step under one read transaction, so the copy is exactly one registry version even in
 * the middle of a stream of writes (WAL lets the server keep writing meanwhile). The copy is checked
 * (integrity_check, registry tables), made self-contained, and renamed into place only when sound.
 */
export async function backupDatabase(sourcePath: string, targetPath: string): Promise<BackupResult> {
  const source = resolve(sourcePath);
  const target = resolve(targetPath);
  if (!existsSync(source)) throw new BackupError(`There is no database at ${source} (DATABASE_PATH) to back up.`);
  if (source === target || target.startsWith(`${source}-`)) throw new BackupError('The backup must be a different file from the database.');
  mkdirSync(dirname(target), { recursive: true });
  const temp = tempBeside(target);
  const db = new Database(source, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    // The largest step there is: all pages at once. Copying in small steps would let a write land
    // between steps and make SQLite start over, again and again under a steady stream of writes.
    await db.backup(temp, { progress: () => 0x7fffffff });
  } catch (error) {
    removeSidecars(temp);
    rmSync(temp, { force: true });
    throw new BackupError(`The backup of ${source} failed: ${message(error)}`);
  } finally {
    db.close();
  }
  try {
    const version = verifyAndSeal(temp, 'The backup just taken');
    // It holds API key hashes and the audit log: readable by its owner only.
    chmodSync(temp, 0o600);
    fsyncPath(temp);
    renameSync(temp, target);
    fsyncDirectory(dirname(target));
    return { path: target, version, bytes: statSync(target).size };
  } finally {
    removeSidecars(temp);
    rmSync(temp, { force: true });
  }
}

/**
 * Throws when another connection (a running server) has the database at `path` open. In WAL mode
 * `BEGIN EXCLUSIVE` does not tell (readers never block it), but leaving WAL mode needs the database to
 * itself: it fails with SQLITE_BUSY while any other connection is open, and otherwise checkpoints the
 * log into the file, which is harmless for a database about to be replaced.
 */
function refuseIfInUse(path: string) {
  if (!existsSync(path)) return;
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { fileMustExist: true });
    db.pragma('busy_timeout = 0');
    db.pragma('journal_mode = DELETE');
  } catch (error) {
    if ((error as { code?: string }).code === 'SQLITE_BUSY') {
      throw new BackupError(`The database at ${path} is in use (is the server running?). Stop the server, then restore.`);
    }
    // Unreadable or damaged: nothing can be using it as a registry, and it is about to be replaced.
  } finally {
    db?.close();
  }
}

/**
 * Replaces the database at `targetPath` with the backup at `backupPath`. The backup is copied beside
 * the target and verified there (integrity_check, registry tables); a bad backup leaves the target
 * untouched. The server must be stopped (checked). The copy is then renamed over the target
 * atomically, after any stale -wal/-shm of the target is removed (SQLite would otherwise replay the
 * old log onto the restored file). The replaced database is kept beside it, hard-linked, as
 * `<target>.pre-restore-<time>`. API keys and the audit log live in the same file: what the restore
 * revives or drops of them is reported (and revived keys refused unless allowed), and with
 * `keepKeysAndAudit` the current ones are carried over into the restored file.
 */
export function restoreDatabase(backupPath: string, targetPath: string, options: RestoreOptions = {}): RestoreResult {
  const backup = resolve(backupPath);
  const target = resolve(targetPath);
  if (!existsSync(backup)) throw new BackupError(`There is no backup at ${backup}.`);
  if (backup === target) throw new BackupError('The backup is the database itself; nothing to restore.');
  if (existsSync(`${backup}-wal`)) {
    throw new BackupError(
      `${backup} has a -wal file beside it, so the file alone is not the whole database. Use a backup taken with \`npm run backup\`.`,
    );
  }
  mkdirSync(dirname(target), { recursive: true });
  const temp = tempBeside(target);
  try {
    copyFileSync(backup, temp);
    const version = verifyAndSeal(temp, `The backup ${backup}`);
    // Only once the backup is known to be good is the target touched, even to check it.
    refuseIfInUse(target);
    const report = prepareRestore(temp, backup, target, version, options);
    fsyncPath(temp);
    let previous: string | null = null;
    if (existsSync(target)) {
      previous = `${target}.pre-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      try {
        linkSync(target, previous);
      } catch {
        copyFileSync(target, previous);
      }
    }
    removeSidecars(target);
    renameSync(temp, target);
    fsyncDirectory(dirname(target));
    return { path: target, version, bytes: statSync(target).size, previous, report };
  } finally {
    removeSidecars(temp);
    rmSync(temp, { force: true });
  }
}
