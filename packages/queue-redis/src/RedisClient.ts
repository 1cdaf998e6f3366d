/**
 * The one way Cartero opens an ioredis client (the queue store, the policy store): lazily connected, failing fast
 * while disconnected (a command fails at once instead of waiting in an offline queue, so an SMTP reply is never
 * held hostage by a Redis outage: the server answers `451`), auto-pipelined (concurrent commands of one tick share
 * one write: several times the throughput under load), one retry per command, a command timeout, closed with the
 * scope.
 *
 * ioredis rejects a failed connect with "Connection is closed."; the socket error (ECONNREFUSED, ENOTFOUND, NOAUTH)
 * only reaches the "error" listener, and it is what an operator needs to read: {@link connect} reports that one.
 *
 * @since 0.1.0
 */
import { Effect, type Scope } from "effect"
import { Redis } from "ioredis"

/** Where and how patient. */
export interface Options {
  /** Default `redis://127.0.0.1:6379`. */
  readonly url?: string | undefined
  readonly commandTimeoutMillis: number
}

/** A client and the last socket error it reported (errors otherwise surface through failed commands). */
export interface Tracked {
  readonly client: Redis
  readonly lastError: () => unknown
}

/** A client, not connected yet; `quit` (else `disconnect`) when the scope closes. */
export const acquire = (options: Options): Effect.Effect<Tracked, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      let lastError: unknown = undefined
      const client = new Redis(options.url ?? "redis://127.0.0.1:6379", {
        lazyConnect: true,
        enableOfflineQueue: false,
        enableAutoPipelining: true,
        maxRetriesPerRequest: 1,
        commandTimeout: options.commandTimeoutMillis
      })
      // The listener keeps ioredis from reporting errors twice, and remembers the last one for a failed connect.
      client.on("error", (e: unknown) => {
        lastError = e
      })
      return { client, lastError: () => lastError }
    }),
    ({ client }) => Effect.promise(() => client.quit().then(() => undefined, () => client.disconnect()))
  )

/** Connects a client that is not connected yet (a no-op otherwise); fails with the socket's own error. */
export const connect = <E>(tracked: Tracked, onError: (cause: unknown) => E): Effect.Effect<void, E> =>
  Effect.tryPromise({
    try: () => (tracked.client.status === "wait" ? tracked.client.connect() : Promise.resolve()),
    catch: (e) => onError(tracked.lastError() ?? e)
  })
