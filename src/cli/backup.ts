import { loadConfig } from '../config.js';
import { BackupError, backupDatabase } from '../db/backup.js';
import { refuseOnPostgres, singleFileArgument } from './args.js';

/**
 * Takes an online backup of the database at DATABASE_PATH while the server keeps serving:
 *   npm run backup -- <file>
 * The file is one consistent registry version, checked before it is written (mode 0600: it holds
 * API key hashes and the audit log). Restore it with `npm run restore -- <file>`.
 * SQLite only: with DATABASE_URL set, use pg_dump.
 */
const USAGE = 'usage: npm run backup -- <file>';

const file = singleFileArgument(USAGE);
const config = loadConfig();
refuseOnPostgres(config, 'backup');

try {
  const result = await backupDatabase(config.DATABASE_PATH, file);
  console.log(`backed up registry version ${result.version} (${result.bytes} bytes) to ${result.path}`);
} catch (error) {
  console.error(error instanceof BackupError ? error.message : error);
  process.exit(1);
}
