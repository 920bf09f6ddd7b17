import { loadConfig } from '../config.js';
import { BackupError, restoreDatabase } from '../db/backup.js';
import { singleFileArgument } from './args.js';

/**
 * Replaces the database at DATABASE_PATH with a backup taken by `npm run backup`:
 *   npm run restore -- <file>
 * Stop the server first (a database still open elsewhere is refused). The backup is verified
 * (integrity_check, registry tables) before it atomically replaces the database; the replaced one is
 * kept beside it as `<DATABASE_PATH>.pre-restore-<time>`.
 */
const USAGE = 'usage: npm run restore -- <file>   (stop the server first)';

const file = singleFileArgument(USAGE);

try {
  const result = restoreDatabase(file, loadConfig().DATABASE_PATH);
  console.log(`restored registry version ${result.version} from ${file} into ${result.path}`);
  if (result.previous) console.error(`the database it replaced is kept at ${result.previous}`);
} catch (error) {
  console.error(error instanceof BackupError ? error.message : error);
  process.exit(1);
}
