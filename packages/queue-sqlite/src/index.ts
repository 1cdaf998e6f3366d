/**
 * `@cartero/queue-sqlite`: the mail queue on embedded SQLite (better-sqlite3, WAL). Zero setup, durable, safe to
 * share between processes on one host.
 *
 * @since 0.1.0
 */
export * as Migrations from "./Migrations.ts"
export * as SqliteQueueStore from "./SqliteQueueStore.ts"
