import { defineConfig } from 'drizzle-kit';

/** PostgreSQL, selected at run time by DATABASE_URL. SQLite's config is drizzle.config.ts. */
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema-pg.ts',
  out: './migrations/postgres',
  strict: true,
  verbose: true,
  casing: 'snake_case',
  dbCredentials: { url: process.env.DATABASE_URL ?? 'postgres://localhost/registry' },
});
