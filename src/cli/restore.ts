import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { BackupError, restoreDatabase } from '../db/backup.js';
import { describeRestore } from '../db/restore-report.js';
import { refuseOnPostgres } from './args.js';

/**
 * Replaces the database at DATABASE_PATH with a backup taken by `npm run backup`:
 *   npm run restore -- <file> [--keep-keys-and-audit] [--allow-revived-keys]
 * Stop the server first (a database still open elsewhere is refused). The backup is verified
 * (integrity_check, registry tables) before it atomically replaces the database; the replaced one is
 * kept beside it as `<DATABASE_PATH>.pre-restore-<time>`. API keys and the audit log are in the same
 * file: the restore lists what it revives or drops of them, refuses to make a revoked key active again
 * unless --allow-revived-keys is given, and with --keep-keys-and-audit keeps the current ones instead.
 * SQLite only: with DATABASE_URL set, use pg_dump / pg_restore.
 */
const USAGE = 'usage: npm run restore -- <file> [--keep-keys-and-audit] [--allow-revived-keys]   (stop the server first)';

let file: string;
let flags: { 'keep-keys-and-audit'?: boolean; 'allow-revived-keys'?: boolean };
try {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { 'keep-keys-and-audit': { type: 'boolean' }, 'allow-revived-keys': { type: 'boolean' } },
    strict: true,
  });
  if (positionals.length !== 1 || !positionals[0]) throw new Error('give exactly one backup file');
  file = positionals[0];
  flags = values;
} catch (error) {
  console.error(`${(error as Error).message}\n${USAGE}`);
  process.exit(2);
}

const config = loadConfig();
refuseOnPostgres(config, 'restore');

try {
  const result = restoreDatabase(file, config.DATABASE_PATH, {
    keepKeysAndAudit: flags['keep-keys-and-audit'] === true,
    allowRevivedKeys: flags['allow-revived-keys'] === true,
  });
  console.log(`restored registry version ${result.version} from ${file} into ${result.path}`);
  for (const line of result.report ? describeRestore(result.report) : []) console.error(`note: ${line}`);
  if (result.previous) console.error(`the database it replaced is kept at ${result.previous}`);
} catch (error) {
  console.error(error instanceof BackupError ? error.message : error);
  process.exit(1);
}
