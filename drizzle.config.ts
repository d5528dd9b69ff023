/**
 * drizzle-kit configuration. The migrations in src/store/migrations/ are SQL files with an
 * up and a down each (drizzle-kit writes only "up"), applied by src/store/migrate.ts;
 * `npx drizzle-kit generate` writes the SQL drizzle derives from src/store/schema.ts into
 * .tars/drizzle (scratch, not committed): the starting point of a new migration's up.sql.
 */
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './src/store/schema.ts',
  out: './.tars/drizzle',
  dbCredentials: { url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
});
