/**
 * `@cartero/policy-store`: the state policy plugins share between sessions (sliding-window counters, expiring
 * records) on Redis, SQLite or memory, provided by the app as one service.
 *
 * @since 0.1.0
 */
export * as Counters from "./Counters.ts"
export * as MemoryBackend from "./MemoryBackend.ts"
export * as PolicyStore from "./PolicyStore.ts"
export { PolicyStoreError } from "./PolicyStoreError.ts"
export * as Records from "./Records.ts"
export * as RedisBackend from "./RedisBackend.ts"
export * as SlidingWindow from "./SlidingWindow.ts"
export * as SqliteBackend from "./SqliteBackend.ts"
