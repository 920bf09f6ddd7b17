import type Database from 'better-sqlite3';

/**
 * What replacing the current database with a backup changes beyond the registry data: API keys and
 * the audit log live in the same file, so a plain restore brings back keys revoked since the backup,
 * drops keys created since, and loses the audit rows written since. Said out loud at restore time.
 */
export interface RestoreReport {
  backupVersion: number;
  currentVersion: number;
  /** Change sets recorded after the backup: gone from the restored database (kept in the pre-restore copy). */
  changeSetsLost: number;
  /** Keys revoked since the backup that the backup still has active. */
  keysRevived: string[];
  /** Keys created since the backup. */
  keysLost: string[];
  /** Audit rows written since the backup. */
  auditRowsLost: number;
  /** Whether the current keys and audit log were carried over (`--keep-keys-and-audit`). */
  keptKeysAndAudit: boolean;
}

const names = (rows: unknown[]) => (rows as { name: string }[]).map((row) => row.name);

/** Compares the backup (open as `main`) with the current database attached as `current`. */
export function compareWithCurrent(backup: Database.Database): Omit<RestoreReport, 'keptKeysAndAudit'> {
  const one = (sql: string) => Object.values(backup.prepare(sql).get() as Record<string, number>)[0] ?? 0;
  const backupVersion = one('select coalesce(max(version), 0) from main.change_sets');
  const currentVersion = one('select coalesce(max(version), 0) from current.change_sets');
  return {
    backupVersion,
    currentVersion,
    changeSetsLost: one('select count(*) from current.change_sets where version not in (select version from main.change_sets)'),
    keysRevived: names(
      backup
        .prepare(
          'select c.name from current.api_keys c join main.api_keys b on b.id = c.id where c.revoked_at is not null and b.revoked_at is null order by c.name',
        )
        .all(),
    ),
    keysLost: names(backup.prepare('select name from current.api_keys where id not in (select id from main.api_keys) order by name').all()),
    auditRowsLost: one('select count(*) from current.audit_log where id > (select coalesce(max(id), 0) from main.audit_log)'),
  };
}

/** Columns both copies of a table have, so a backup from before a migration can still take the current rows. */
function sharedColumns(db: Database.Database, table: string): string {
  const columns = (schema: string) =>
    (db.prepare(`select name from pragma_table_info(?, ?)`).all(table, schema) as { name: string }[]).map((c) => c.name);
  const current = new Set(columns('current'));
  return columns('main')
    .filter((c) => current.has(c))
    .map((c) => `"${c}"`)
    .join(', ');
}

/** Replaces the backup's api_keys and audit_log with the current database's (attached as `current`). */
export function carryOverKeysAndAudit(backup: Database.Database): void {
  backup.transaction(() => {
    for (const table of ['api_keys', 'audit_log']) {
      const columns = sharedColumns(backup, table);
      backup.prepare(`delete from main.${table}`).run();
      backup.prepare(`insert into main.${table} (${columns}) select ${columns} from current.${table}`).run();
    }
  })();
}

/** Records the restore in the restored database's own audit log. */
export function auditRestore(backup: Database.Database, backupPath: string, version: number, at = new Date()): void {
  backup
    .prepare(
      `insert into main.audit_log (at, key_id, key_name, method, route, status, outcome, version, request_id, ip) values (?, null, 'restore', 'RESTORE', ?, 200, 'accepted', ?, ?, null)`,
    )
    .run(at.toISOString(), `npm run restore -- ${backupPath}`.slice(0, 500), version, `restore:${at.toISOString()}`);
}

/** The report as lines for a person running the restore. */
export function describeRestore(report: RestoreReport): string[] {
  const lines: string[] = [];
  if (report.changeSetsLost > 0) {
    lines.push(
      `registry versions after ${report.backupVersion} (${report.changeSetsLost} change set(s), up to version ${report.currentVersion}) are not in the backup and are gone from the restored database`,
    );
  }
  if (report.keptKeysAndAudit) {
    lines.push('API keys and the audit log were carried over from the database that was replaced (--keep-keys-and-audit)');
    return lines;
  }
  if (report.keysRevived.length > 0) {
    lines.push(
      `REVIVED: key(s) revoked since the backup are active again: ${report.keysRevived.join(', ')}; revoke them again (npm run keys -- revoke <name>)`,
    );
  }
  if (report.keysLost.length > 0) lines.push(`key(s) created since the backup no longer exist: ${report.keysLost.join(', ')}`);
  if (report.auditRowsLost > 0)
    lines.push(`${report.auditRowsLost} audit row(s) written since the backup are not in the restored database`);
  return lines;
}
