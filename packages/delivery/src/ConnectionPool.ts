/**
 * Reuse of open SMTP sessions (RFC 5321 §3.3 allows many transactions per session; one connection per message costs
 * more than the transaction itself, see docs/decisions/smtp-client.md).
 *
 * Connections are keyed by where they go and what was negotiated on them: the address connected to (the request's
 * `address`, else its host) and port, the TLS policy, the name TLS verified (when TLS is in play), the HELO name, the
 * local address and the credentials (an HMAC, see {@link Auth.poolKey}). A session is only reused by a request that
 * would have opened an equivalent one: never an authenticated session for another user or for a request without
 * credentials, never a certificate checked against one MX name for another. Two MX names on one IP share
 * connections only in plaintext; the lease then reports the requesting name in `remote.host`. A connection
 * - is leased to one transaction at a time (concurrent sends to one host open more connections; per-destination
 *   concurrency limits are the delivery worker's job, not the pool's);
 * - carries at most `maxMessagesPerConnection` transactions, then is closed with QUIT;
 * - waits idle at most `idleTimeout`, then is closed with QUIT;
 * - is discarded, never reused, once broken (any session error, interruption, unsolicited data, peer close).
 *
 * Every connection lives in its own child scope of the pool's scope, so closing the pool (its layer) QUITs and
 * closes everything.
 *
 * @since 0.1.0
 */
import { Clock, Duration, Effect, Exit, Scope } from "effect"
import * as Auth from "./Auth.ts"
import type { ConnectError } from "./ConnectError.ts"
import { PoolRecorder } from "./DeliveryMetrics.ts"
import * as SmtpConnection from "./SmtpConnection.ts"
import * as TlsPolicy from "./TlsPolicy.ts"

/** Pool limits. */
export interface PoolOptions {
  /** Transactions per connection before it is retired. 1 disables reuse. Default 100 (as ZoneMTA). */
  readonly maxMessagesPerConnection: number
  /** How long an unused connection stays open. Default 5 seconds (ZoneMTA 5 s, Postfix 2 s). */
  readonly idleTimeout: Duration.Duration
  /** Idle connections kept per key; extra ones are closed on return. Default 4. */
  readonly maxIdlePerKey: number
}

/** {@link PoolOptions} as given by callers: any field may be left out, durations in any `Duration.Input` form. */
export interface PoolOptionsInput {
  readonly maxMessagesPerConnection?: number
  readonly idleTimeout?: Duration.Input
  readonly maxIdlePerKey?: number
}

/** The defaults described in {@link PoolOptions}. */
export const defaultOptions: PoolOptions = {
  maxMessagesPerConnection: 100,
  idleTimeout: Duration.seconds(5),
  maxIdlePerKey: 4
}

/** A connection leased for one transaction; returned (or closed) when the lease's scope closes. */
export interface Lease {
  readonly connection: SmtpConnection.SmtpConnection
  /** Whether the connection already carried a transaction (the next one starts with RSET). */
  readonly reused: boolean
}

/** Counters, for tests and metrics. */
export interface PoolStats {
  /** Connections opened since the pool started. */
  readonly opened: number
  /** Connections open now (leased + idle). */
  readonly open: number
  /** Connections idle now. */
  readonly idle: number
}

/** A pool of open sessions, shared by every transaction of one `SmtpClient`. */
export interface ConnectionPool {
  /**
   * A connection for one transaction: an idle one for the same key when there is one (unless `fresh`), else a new
   * one. Released when the surrounding scope closes: back to the pool when still usable and under its limits.
   */
  readonly lease: (options: SmtpConnection.ConnectOptions, fresh?: boolean) => Effect.Effect<Lease, ConnectError, Scope.Scope>
  readonly stats: Effect.Effect<PoolStats>
  /** Closes every idle connection now (QUIT). */
  readonly closeIdle: Effect.Effect<void>
}

interface Entry {
  readonly key: string
  readonly connection: SmtpConnection.SmtpConnection
  readonly scope: Scope.Closeable
  used: number
  /** While idle: when the sweeper closes it (epoch millis, from the `Clock`). */
  idleUntil: number
}

/**
 * The pool key of a request. Under TLS the name is part of it, since SNI and certificate verification used it; in
 * plaintext the name changes nothing on the wire, so the address alone decides.
 */
export const keyOf = (o: SmtpConnection.ConnectOptions): string => {
  const target = (o.address ?? o.host).toLowerCase()
  const name = o.tls.mode === "none" ? "" : o.host.toLowerCase()
  return `${target}:${o.port}|${name}|${TlsPolicy.key(o.tls)}|${o.heloName}|${o.localAddress ?? ""}|${Auth.poolKey(o.auth)}`
}

/** A pool whose connections all close when the current scope closes. */
export const make = Effect.fnUntraced(function*(input?: PoolOptionsInput): Effect.fn.Return<ConnectionPool, never, Scope.Scope> {
  const options: PoolOptions = {
    maxMessagesPerConnection: Math.max(1, input?.maxMessagesPerConnection ?? defaultOptions.maxMessagesPerConnection),
    idleTimeout: input?.idleTimeout === undefined ? defaultOptions.idleTimeout : Duration.fromInputUnsafe(input.idleTimeout),
    maxIdlePerKey: Math.max(0, input?.maxIdlePerKey ?? defaultOptions.maxIdlePerKey)
  }
  const poolScope = yield* Effect.scope
  // Connections open, idle, opened and reused (DeliveryMetrics), updated where the counters below are.
  const metrics = new PoolRecorder(yield* Effect.context<never>())
  const idle = new Map<string, Array<Entry>>()
  const idleMillis = Duration.toMillis(options.idleTimeout)
  let opened = 0
  let open = 0
  // One sweeper for every idle connection, running only while some are idle, instead of a timer fiber forked per
  // return and interrupted at the next lease (both per message: docs/benchmarks.md, "Round 3"). It sleeps until
  // the earliest `idleUntil`, so each connection still closes once it has been idle for `idleTimeout`.
  let sweeping = false

  const close = (entry: Entry): Effect.Effect<void> =>
    Effect.suspend(() => {
      open--
      metrics.closed()
      return Scope.close(entry.scope, Exit.void)
    })

  const removeIdle = (entry: Entry): boolean => {
    const list = idle.get(entry.key)
    const at = list?.indexOf(entry) ?? -1
    if (list === undefined || at < 0) return false
    list.splice(at, 1)
    if (list.length === 0) idle.delete(entry.key)
    metrics.idle(-1)
    return true
  }

  const takeIdle = Effect.fnUntraced(function*(key: string) {
    const list = idle.get(key)
    while (list !== undefined && list.length > 0) {
      const entry = list.pop()
      if (list.length === 0) idle.delete(key)
      if (entry === undefined) break
      metrics.idle(-1)
      // The server may have timed us out (a 421 waiting in the buffer, or a close) while the connection was idle.
      if (entry.connection.usable()) return entry
      entry.connection.markBroken()
      yield* close(entry)
    }
    return undefined
  })

  // Each attempt gets its own child scope, so a failed attempt releases its socket at once.
  const attempt = Effect.fnUntraced(function*(o: SmtpConnection.ConnectOptions) {
    const scope = yield* Scope.fork(poolScope)
    const connection = yield* SmtpConnection.open(o).pipe(
      Scope.provide(scope),
      Effect.onError(() => Scope.close(scope, Exit.void))
    )
    return { connection, scope }
  })

  const openEntry = Effect.fnUntraced(function*(o: SmtpConnection.ConnectOptions, key: string) {
    const { connection, scope } = yield* attempt(o).pipe(
      // Opportunistic TLS whose handshake failed: that socket is unusable, so retry once in plaintext (as Postfix and
      // ZoneMTA do). Under `opportunistic` a `tls` error can only come from the handshake. Not when the request must
      // authenticate over TLS: the plaintext session could not be used, and the TLS error says more.
      Effect.catchIf(
        (e) => e.reason === "tls" && o.tls.mode === "opportunistic" && (o.auth === undefined || o.auth.allowPlaintextAuth === true),
        () => attempt({ ...o, tls: TlsPolicy.none })
      )
    )
    opened++
    open++
    metrics.opened()
    const entry: Entry = { key, connection, scope, used: 0, idleUntil: 0 }
    return entry
  })

  const giveBack = Effect.fnUntraced(function*(entry: Entry, exit: Exit.Exit<unknown, unknown>) {
    const list = idle.get(entry.key) ?? []
    const keep = Exit.isSuccess(exit) && entry.connection.usable() &&
      entry.used < options.maxMessagesPerConnection && list.length < options.maxIdlePerKey
    if (!keep) return yield* close(entry)
    entry.idleUntil = (yield* Clock.currentTimeMillis) + idleMillis
    list.push(entry)
    idle.set(entry.key, list)
    metrics.idle(1)
    if (!sweeping) {
      sweeping = true
      yield* Effect.forkIn(sweep, poolScope)
    }
  })

  const sweep: Effect.Effect<void> = Effect.gen(function*() {
    while (true) {
      let next = Infinity
      for (const list of idle.values()) for (const e of list) if (e.idleUntil < next) next = e.idleUntil
      if (next === Infinity) {
        // Nothing idle: stop; the next return starts a sweeper again (checked and set in the same synchronous step).
        sweeping = false
        return
      }
      const now = yield* Clock.currentTimeMillis
      if (next > now) {
        yield* Effect.sleep(Duration.millis(next - now))
        continue
      }
      // Each closes on its own (a QUIT may wait for its timeout), as each had its own timer before.
      const expired = [...idle.values()].flat().filter((e) => e.idleUntil <= now)
      for (const e of expired) if (removeIdle(e)) yield* Effect.forkIn(close(e), poolScope)
    }
  }).pipe(Effect.onInterrupt(() =>
    Effect.sync(() => {
      sweeping = false
    })
  ))

  const lease = (o: SmtpConnection.ConnectOptions, fresh = false): Effect.Effect<Lease, ConnectError, Scope.Scope> => {
    const key = keyOf(o)
    // Opening stays interruptible (it can take minutes: greeting, TLS); from the moment we hold an entry, its
    // release is registered before anything else can interrupt us.
    return Effect.uninterruptibleMask((restore) =>
      Effect.gen(function*() {
        const reusedEntry = fresh ? undefined : yield* takeIdle(key)
        const entry = reusedEntry ?? (yield* restore(openEntry(o, key)))
        yield* Effect.addFinalizer((exit) => giveBack(entry, exit))
        const reused = entry.used > 0
        if (reused) metrics.reused()
        entry.used++
        // A plaintext connection may have been opened for another name on the same address: report this one's.
        const connection = entry.connection.remote.host === o.host
          ? entry.connection
          : { ...entry.connection, remote: { ...entry.connection.remote, host: o.host } }
        return { connection, reused }
      })
    )
  }

  const closeIdle = Effect.suspend(() => {
    const all = [...idle.values()].flat()
    idle.clear()
    metrics.idle(-all.length)
    return Effect.forEach(all, close, { discard: true })
  })

  yield* Effect.addFinalizer(() => closeIdle)

  return {
    lease,
    stats: Effect.sync(() => ({ opened, open, idle: [...idle.values()].reduce((n, l) => n + l.length, 0) })),
    closeIdle
  }
})
