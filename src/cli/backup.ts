import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { BackupError, backupDatabase } from '../db/backup.js';

/**
 * Takes an online backup of the database at DATABASE_PATH while the server keeps serving:
 *   npm run backup -- <file>
 * The file is one consistent registry version, checked before it is written (mode 0600: it holds
 * API key hashes and the audit log). Restore it with `npm run restore -- <file>`.
 */
const USAGE = 'usage: npm run backup -- <file>';

let file: string | undefined;
try {
  const { positionals } = parseArgs({ allowPositionals: true, options: {}, strict: true });
  if (positionals.length !== 1) throw new Error('give exactly one backup file');
  file = positionals[0];
} catch (error) {
  console.error(`${(error as Error).message}\n${USAGE}`);
  process.exit(2);
}

try {
  const result = await backupDatabase(loadConfig().DATABASE_PATH, file!);
  console.log(`backed up registry version ${result.version} (${result.bytes} bytes) to ${result.path}`);
} catch (error) {
  console.error(error instanceof BackupError ? error.message : error);
  process.exit(1);
}
