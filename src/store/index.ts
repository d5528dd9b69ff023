/** The storage layer: schema, migrations, the database handle and the repositories. */
export * from './audit.js';
export * from './baselines.js';
export * from './database.js';
export * from './jobs.js';
export * from './migrate.js';
export * from './password.js';
export * from './refresh-tokens.js';
export * from './schema.js';
export * from './users.js';
