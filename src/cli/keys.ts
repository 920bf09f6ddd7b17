import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfig } from '../config.js';
import { AdminStore } from '../db/admin-store.js';
import { openDatabase } from '../db/client.js';

/**
 * Manages admin API keys in the database at DATABASE_PATH.
 *   npm run keys -- create --name <name> --role editor|admin   prints the new key alone on stdout, once
 *   npm run keys -- list                                       names, roles, dates (never keys)
 *   npm run keys -- revoke <name>
 * Messages go to stderr so `KEY=$(npm run -s keys -- create …)` captures just the key.
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
const db = openDatabase(loadConfig().DATABASE_PATH);
const admin = new AdminStore(db);

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
    if (admin.activeKeyNamed(name.data)) fail(`an active key named "${name.data}" exists; revoke it first or pick another name`);
    const { key, row } = admin.createKey(name.data, role.data);
    console.error(`created ${row.role} key "${row.name}"; it is shown once, store it now:`);
    console.log(key);
    break;
  }
  case 'list': {
    for (const k of admin.listKeys()) {
      console.log(`${k.name}\t${k.role}\tcreated ${k.createdAt}\t${k.revokedAt ? `revoked ${k.revokedAt}` : 'active'}`);
    }
    break;
  }
  case 'revoke': {
    const name = rest[0];
    if (!name) fail('revoke needs the key name');
    const n = admin.revokeKey(name);
    if (n === 0) fail(`no active key named "${name}"`);
    console.error(`revoked ${n} key(s) named "${name}"`);
    break;
  }
  default:
    fail(command ? `unknown command "${command}"` : 'a command is required');
}
db.$client.close();
