/**
 * `@bottle/server/postgres`: the PostgreSQL store, for several servers on one queue. It needs `pg`,
 * an optional peer dependency of @bottle/server: install it beside it (`npm install pg`). An
 * embedder on SQLite never installs or loads it.
 */
export { PostgresStore, type PostgresStoreOptions, postgresStoreDefaults } from './store.js';
