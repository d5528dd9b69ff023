/**
 * drizzle-kit configuration. The migrations in src/store/migrations/ are SQL files with an
 * up and a down each (drizzle-kit writes only "up"), applied by src/store/migrate.ts;
 * `npx drizzle-kit generate --out /tmp/drizzle-check` writes the SQL drizzle derives from
 * src/store/schema.ts, a way to review a new migration against the schema.
 */
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './src/store/schema.ts',
  out: './src/store/migrations',
  dbCredentials: { url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
});
