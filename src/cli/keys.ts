import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfig } from '../config.js';
import { openStore } from '../db/open.js';
import { KeyNameTaken, KeyService } from '../services/key-service.js';

/**
 * Manages admin API keys in the configured database (DATABASE_URL, else DATABASE_PATH).
 *   npm run keys -- create --name <name> --role editor|admin   prints the new key alone on stdout, once
 *   npm run keys -- list                                       names, roles, dates (never keys)
 *   npm run keys -- revoke <name>
 * Messages go to stderr so `KEY=$(npm run -s keys -- create …)` captures just the key.
 * Names are unique forever: a revoked key's name is not given to a new key.
 */
const USAGE = 'usage: keys create --name <name> --role editor|admin | keys list | keys revoke <name>';

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { name: { type: 'string' }, role: { type: 'string' } },
  strict: true,
});
const [command, ...rest] = positionals;
const store = await openStore(loadConfig());
const keys = new KeyService(store);

try {
  switch (command) {
    case 'create': {
      const name = z
        .string()
        .trim()
        .min(1)
        .max(100)
        .regex(/^[\w.@-]+$/)
        .safeParse(values.name);
      const role = z.enum(['editor', 'admin']).safeParse(values.role);
      if (!name.success) fail('--name is required: 1-100 letters, digits, "_", ".", "@" or "-"');
      if (!role.success) fail('--role must be "editor" or "admin"');
      try {
        const { key, row } = await keys.create(name.data, role.data);
        console.error(`created ${row.role} key "${row.name}"; it is shown once, store it now:`);
        console.log(key);
      } catch (error) {
        if (error instanceof KeyNameTaken) fail(`${error.message}; pick another name`);
        throw error;
      }
      break;
    }
    case 'list': {
      for (const k of await keys.list()) {
        console.log(`${k.name}\t${k.role}\tcreated ${k.createdAt}\t${k.revokedAt ? `revoked ${k.revokedAt}` : 'active'}`);
      }
      break;
    }
    case 'revoke': {
      const name = rest[0];
      if (!name) fail('revoke needs the key name');
      const n = await keys.revoke(name);
      if (n === 0) fail(`no active key named "${name}"`);
      console.error(`revoked the key named "${name}"`);
      break;
    }
    default:
      fail(command ? `unknown command "${command}"` : 'a command is required');
  }
} finally {
  await store.close();
}
