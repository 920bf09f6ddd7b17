import { defineConfig } from 'drizzle-kit';

/** SQLite, the default engine. PostgreSQL has its own config: drizzle.postgres.config.ts. */
export default defineConfig({
  dialect: 'sqlite',
  schema: './src/db/schema.ts',
  out: './migrations/sqlite',
  strict: true,
  verbose: true,
  casing: 'snake_case',
  dbCredentials: { url: process.env.DATABASE_PATH ?? './data/registry.sqlite' },
});
