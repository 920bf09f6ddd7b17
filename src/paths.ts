import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root (where package.json is), found the same way from src/ under tsx and from dist/src/ when built. */
function findRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${start}`);
    dir = parent;
  }
  return dir;
}

export const ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));
export const MIGRATIONS_DIR = { sqlite: join(ROOT, 'migrations', 'sqlite'), postgres: join(ROOT, 'migrations', 'postgres') } as const;
export const SEED_PLATFORMS_DIR = join(ROOT, 'seed', 'platforms');
