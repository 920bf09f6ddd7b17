import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { BackupError, restoreDatabase } from '../db/backup.js';

/**
 * Replaces the database at DATABASE_PATH with a backup taken by `npm run backup`:
 *   npm run restore -- <file>
 * Stop the server first (a database still open elsewhere is refused). The backup is verified
 * (integrity_check, registry tables) before it atomically replaces the database; the replaced one is
 * kept beside it as `<DATABASE_PATH>.pre-restore-<time>`.
 */
const USAGE = 'usage: npm run restore -- <file>   (stop the server first)';

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
  const result = restoreDatabase(file!, loadConfig().DATABASE_PATH);
  console.log(`restored registry version ${result.version} from ${file} into ${result.path}`);
  if (result.previous) console.error(`the database it replaced is kept at ${result.previous}`);
} catch (error) {
  console.error(error instanceof BackupError ? error.message : error);
  process.exit(1);
}
