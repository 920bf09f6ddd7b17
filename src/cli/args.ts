import { parseArgs } from 'node:util';

/** The one file argument a CLI takes; prints the usage and exits 2 otherwise. */
export function singleFileArgument(usage: string): string {
  try {
    const { positionals } = parseArgs({ allowPositionals: true, options: {}, strict: true });
    if (positionals.length !== 1 || !positionals[0]) throw new Error('give exactly one backup file');
    return positionals[0];
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    process.exit(2);
  }
}
