import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { BackupError, backupDatabase, restoreDatabase } from '../src/db/backup.js';
import { SqliteStore } from '../src/db/sqlite-store.js';
import { RegistryInfo } from '../src/schemas/responses.js';
import { KeyService } from '../src/services/key-service.js';
import { keyInDatabase, migratedDatabase } from './helpers.js';
import { startServer } from './server-process.js';

/**
 * Online backup and restore with the CLIs against the real server: a backup taken while writes keep
 * coming is one consistent version, and a server started on the restored file serves that version
 * byte for byte as the original did.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);

/** Runs a CLI under tsx with DATABASE_PATH set; never throws, returns exit code and output. */
async function cli(script: string, databasePath: string, ...args: string[]) {
  return cliWith({ DATABASE_PATH: databasePath }, script, ...args);
}

async function cliWith(env: Record<string, string>, script: string, ...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: '', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const text = async (url: string) => {
  const res = await fetch(url);
  expect(res.status, url).toBe(200);
  return res.text();
};

describe('backup and restore', () => {
  it('backs up online while writes continue, refuses to restore under a running server, and restores byte for byte', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'backup-'));
    try {
      const databasePath = join(dir, 'live', 'registry.sqlite');
      const key = await keyInDatabase(databasePath, 'backup-editor');
      const server = await startServer(databasePath);

      let n = 0;
      const write = async () => {
        const slug = ['linkedin', 'facebook', 'reddit'][n % 3]!;
        const res = await fetch(`${server.url}/v1/admin/changes`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            message: `backup test ${n}`,
            operations: [{ op: 'patch', slug, patch: { summary: `Backup test write ${n++}.` } }],
          }),
        });
        expect(res.status).toBe(201);
        return ((await res.json()) as { version: number }).version;
      };
      for (let i = 0; i < 20; i++) await write();

      // Writes keep coming while the backup runs.
      let writing = true;
      const acknowledged: number[] = [];
      const writer = (async () => {
        while (writing) acknowledged.push(await write());
      })();
      const backupFile = join(dir, 'backups', 'registry-backup.sqlite');
      const writesBefore = acknowledged.length;
      const backup = await cli('src/cli/backup.ts', databasePath, backupFile);
      const writesDuring = acknowledged.length - writesBefore;
      writing = false;
      await writer;
      await write(); // at least one write after the backup, whatever the timing
      expect(backup.code, backup.stderr).toBe(0);
      const version = Number(/backed up registry version (\d+)/.exec(backup.stdout)?.[1]);
      const finalVersion = RegistryInfo.parse(await (await fetch(`${server.url}/v1/registry`)).json()).version;
      console.log(`backup: version ${version} of ${finalVersion}, taken while ${writesDuring} writes were acknowledged`);
      expect(writesDuring, 'writes were acknowledged while the backup ran').toBeGreaterThan(0);
      expect(version).toBeGreaterThanOrEqual(21);
      expect(version).toBeLessThan(finalVersion);

      // The file is one sound, self-contained registry database at exactly that version.
      expect(existsSync(`${backupFile}-wal`)).toBe(false);
      expect(statSync(backupFile).mode & 0o777).toBe(0o600);
      const copy = new Database(backupFile, { readonly: true });
      try {
        expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
        expect(copy.prepare('select max(version) as v from change_sets').get()).toEqual({ v: version });
      } finally {
        copy.close();
      }
      const exportBefore = await text(`${server.url}/v1/export?version=${version}`);

      // A restore over the database of a running server is refused and changes nothing.
      const refused = await cli('src/cli/restore.ts', databasePath, backupFile);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/in use .*Stop the server/);
      expect(RegistryInfo.parse(await (await fetch(`${server.url}/v1/registry`)).json()).version).toBe(finalVersion);
      expect(await server.stop()).toBe(0);

      // Restored into a new place, the server serves that version exactly as before.
      const restoredPath = join(dir, 'restored', 'registry.sqlite');
      const restored = await cli('src/cli/restore.ts', restoredPath, backupFile);
      expect(restored.code, restored.stderr).toBe(0);
      expect(restored.stdout).toContain(`restored registry version ${version}`);
      const again = await startServer(restoredPath);
      expect(RegistryInfo.parse(await (await fetch(`${again.url}/v1/registry`)).json()).version).toBe(version);
      expect(await text(`${again.url}/v1/export?version=${version}`)).toBe(exportBefore);
      expect(await text(`${again.url}/v1/export`)).toBe(exportBefore);
      // Keys came with it: the editor can write on the restored registry.
      const res = await fetch(`${again.url}/v1/admin/platforms/linkedin`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/merge-patch+json', 'x-change-message': 'after%20restore' },
        body: JSON.stringify({ summary: 'Written after the restore.' }),
      });
      expect(res.status).toBe(201);
      expect(((await res.json()) as { version: number }).version).toBe(version + 1);
      expect(await again.stop()).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it('refuses backups that are not sound registry databases, leaving the target untouched', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'restore-'));
    try {
      const target = join(dir, 'registry.sqlite');
      await migratedDatabase(target);
      const before = readFileSync(target);
      const notSqlite = join(dir, 'notes.txt');
      writeFileSync(notSqlite, 'this is not a database\n'.repeat(100));
      const otherDb = join(dir, 'other.sqlite');
      const other = new Database(otherDb);
      other.exec('create table notes (text text)');
      other.close();
      const truncated = join(dir, 'truncated.sqlite');
      writeFileSync(truncated, before.subarray(0, 4096 + 100));

      expect(() => restoreDatabase(join(dir, 'missing.sqlite'), target)).toThrow(/There is no backup/);
      expect(() => restoreDatabase(notSqlite, target)).toThrow(BackupError);
      expect(() => restoreDatabase(notSqlite, target)).toThrow(/not a readable SQLite database/);
      expect(() => restoreDatabase(otherDb, target)).toThrow(/not a registry database \(no change_sets, platforms/);
      expect(() => restoreDatabase(truncated, target)).toThrow(BackupError);
      expect(readFileSync(target).equals(before)).toBe(true);
      // No temporary copies are left behind.
      expect(readdirSync(dir).filter((f) => f.endsWith('.tmp') || f.includes('pre-restore'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('restores over a stopped database: stale -wal/-shm removed, the replaced file kept aside', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'restore-'));
    try {
      const source = join(dir, 'source.sqlite');
      await migratedDatabase(source);
      const sourceDb = new Database(source);
      sourceDb
        .prepare('insert into change_sets (version, recorded_at, author, message) values (?, ?, ?, ?)')
        .run(1, '2026-01-01T00:00:00.000Z', 'test', 'first');
      sourceDb.close();
      const backupFile = join(dir, 'backup.sqlite');
      expect(await backupDatabase(source, backupFile)).toMatchObject({ path: backupFile, version: 1 });

      const target = join(dir, 'registry.sqlite');
      await migratedDatabase(target);
      const old = readFileSync(target);
      // Leftovers of a crashed server: replayed onto the restored file they could corrupt it.
      writeFileSync(`${target}-wal`, Buffer.alloc(8192, 7));
      writeFileSync(`${target}-shm`, Buffer.alloc(32768, 7));

      const result = restoreDatabase(backupFile, target);
      expect(result.version).toBe(1);
      expect(result.previous).toMatch(/registry\.sqlite\.pre-restore-/);
      expect(readFileSync(result.previous!).length).toBe(old.length);
      expect(existsSync(`${target}-wal`)).toBe(false);
      expect(existsSync(`${target}-shm`)).toBe(false);
      const db = new Database(target, { readonly: true });
      try {
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
        expect(db.prepare('select author, message from change_sets').all()).toEqual([{ author: 'test', message: 'first' }]);
      } finally {
        db.close();
      }
      expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says what a restore revives or drops of keys and the audit log, refuses revived keys unless told, and can keep them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'restore-keys-'));
    try {
      const live = join(dir, 'registry.sqlite');
      await keyInDatabase(live, 'alice');
      await keyInDatabase(live, 'bob');
      const backupFile = join(dir, 'backup.sqlite');
      await backupDatabase(live, backupFile);
      // After the backup: alice is revoked, carol created, two requests audited.
      const store = new SqliteStore(live);
      await new KeyService(store).revoke('alice');
      await new KeyService(store).create('carol', 'editor');
      for (const status of [201, 403]) {
        await store.write((tx) =>
          tx.audit({
            at: new Date().toISOString(),
            keyId: 2,
            keyName: 'bob',
            method: 'POST',
            route: '/v1/admin/changes',
            status,
            outcome: status < 400 ? 'accepted' : 'refused',
            version: null,
            requestId: `r${status}`,
            ip: null,
          }),
        );
      }
      await store.close();
      const keysOf = (path: string) => {
        const db = new Database(path, { readonly: true });
        try {
          return {
            keys: db.prepare('select name, revoked_at is not null as revoked from api_keys order by name').all(),
            audit: db
              .prepare('select request_id as id from audit_log order by id')
              .all()
              .map((r) => (r as { id: string }).id),
          };
        } finally {
          db.close();
        }
      };
      const before = keysOf(live);
      expect(before.audit).toEqual(['r201', 'r403']);

      // Bringing alice's key back is refused, naming her, and changes nothing.
      expect(() => restoreDatabase(backupFile, live)).toThrow(/revoked since it was taken active again \(alice\).*--keep-keys-and-audit/);
      expect(keysOf(live)).toEqual(before);
      const refused = await cli('src/cli/restore.ts', live, backupFile);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('alice');

      // Keeping the current keys and audit log: alice stays revoked, carol stays, no audit row is lost.
      const kept = await cli('src/cli/restore.ts', live, backupFile, '--keep-keys-and-audit');
      expect(kept.code, kept.stderr).toBe(0);
      expect(kept.stderr).toContain('carried over');
      const afterKeep = keysOf(live);
      expect(afterKeep.keys).toEqual([
        { name: 'alice', revoked: 1 },
        { name: 'bob', revoked: 0 },
        { name: 'carol', revoked: 0 },
      ]);
      expect(afterKeep.audit.filter((id) => !id.startsWith('restore:'))).toEqual(['r201', 'r403']);
      expect(afterKeep.audit.filter((id) => id.startsWith('restore:'))).toHaveLength(1);

      // Allowed explicitly, a plain restore says what it revived and dropped.
      const plain = restoreDatabase(backupFile, live, { allowRevivedKeys: true });
      expect(plain.report).toMatchObject({ keysRevived: ['alice'], keysLost: ['carol'], keptKeysAndAudit: false });
      expect(plain.report?.auditRowsLost).toBeGreaterThanOrEqual(2);
      expect(keysOf(live).keys).toEqual([
        { name: 'alice', revoked: 0 },
        { name: 'bob', revoked: 0 },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to back up or restore a PostgreSQL registry, pointing to pg_dump and pg_restore', async () => {
    const env = { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };
    const backup = await cliWith(env, 'src/cli/backup.ts', join(tmpdir(), 'never.sqlite'));
    expect(backup.code).toBe(2);
    expect(backup.stderr).toContain('pg_dump');
    const restore = await cliWith(env, 'src/cli/restore.ts', join(tmpdir(), 'never.sqlite'));
    expect(restore.code).toBe(2);
    expect(restore.stderr).toContain('pg_restore');
  });
});
