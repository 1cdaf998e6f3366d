/**
 * `@cartero/queue-redis`: the mail queue on Redis (ioredis 6), for many processes on many hosts.
 *
 * @since 0.1.0
 */
export * as Keys from "./Keys.ts"
export * as Purge from "./Purge.ts"
export * as RedisClient from "./RedisClient.ts"
export * as RedisQueueStore from "./RedisQueueStore.ts"
export * as Scripts from "./Scripts.ts"
