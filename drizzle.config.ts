import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'sqlite',
  schema: './src/db/schema.ts',
  out: './migrations',
  strict: true,
  verbose: true,
  casing: 'snake_case',
  dbCredentials: { url: process.env.DATABASE_PATH ?? './data/registry.sqlite' },
});
