/**
 * The outbound SMTP client service: "deliver this envelope + message to host:port and tell me, per recipient,
 * what happened".
 *
 * ```ts
 * const client = yield* SmtpClient
 * const result = yield* client.send({ host: "mx.example.org", envelope, message })
 * // result.recipients: Delivered | Deferred | Failed, each with its reply; result.remote for DSN Remote-MTA
 * ```
 *
 * `send` fails only with {@link ConnectError} (no usable session with that host: try the next MX). Everything that
 * happens once a session is up is a per-recipient result. `sendOrDefer` turns a `ConnectError` into "every
 * recipient deferred" for callers with no other host to try.
 *
 * Connections are pooled ({@link ConnectionPool}): a later `send` to the same address, port, TLS policy and
 * credentials reuses an open session (RSET first); the pool lives as long as the layer.
 *
 * A router that already resolved the MX name passes it as `host` and the chosen IP as `address`: the connection goes
 * to the address, while SNI, certificate verification, `Remote.host`, logs and synthetic replies use the name.
 * A relay that wants authentication passes `auth` ({@link Auth.Credentials}): AUTH PLAIN (or LOGIN) after EHLO,
 * over TLS only unless `auth.allowPlaintextAuth`; any failure to authenticate is a `ConnectError` with reason `auth`
 * (deferred: see docs/decisions/smtp-client.md).
 *
 * @since 0.1.0
 */
import { LogGate } from "@cartero/hotpath"
import type { Envelope } from "@cartero/smtp"
import { Config, Context, Effect, Layer } from "effect"
import * as os from "node:os"
import type * as Auth from "./Auth.ts"
import type { ConnectError } from "./ConnectError.ts"
import * as ConnectionPool from "./ConnectionPool.ts"
import * as DeliveryResult from "./DeliveryResult.ts"
import type * as SmtpConnection from "./SmtpConnection.ts"
import * as Timeouts from "./Timeouts.ts"
import * as TlsPolicy from "./TlsPolicy.ts"
import * as Transaction from "./Transaction.ts"

/** One delivery attempt to one host. */
export interface SendRequest {
  /**
   * MX host name or IP address: the name the session is for (TLS SNI and certificate name unless the policy sets
   * `servername`; `Remote.host`; logs). Resolved by the OS only when `address` is not given.
   */
  readonly host: string
  /** The IP address to connect to, when routing already resolved `host` (e.g. one of the MX's A/AAAA records). */
  readonly address?: string
  /** Default 25. */
  readonly port?: number
  /** Default: the client's configured policy (opportunistic unless configured otherwise). */
  readonly tls?: TlsPolicy.TlsPolicy
  /** Authenticate with these credentials after EHLO (smarthosts, authenticated relays). Default: no AUTH. */
  readonly auth?: Auth.Credentials
  /** `lmtp` for an LMTP server (RFC 2033): LHLO, and a reply per recipient after the data. Default `smtp`. */
  readonly protocol?: SmtpConnection.Protocol
  /** A Unix domain socket to connect to instead of `address`/`host` and `port`. */
  readonly path?: string
  readonly envelope: Envelope.Envelope
  /** CRLF-terminated message octets, whole or streamed. */
  readonly message: Transaction.MessageBody
}

/** Client configuration. */
export interface SmtpClientOptions {
  /** Our FQDN for EHLO/HELO. Default: `os.hostname()`. */
  readonly heloName?: string
  /** Default TLS policy. Default {@link TlsPolicy.opportunistic}. */
  readonly tls?: TlsPolicy.TlsPolicy
  /** Overrides of the RFC 5321 timeouts. */
  readonly timeouts?: Timeouts.TimeoutsInput
  /** Pool limits. */
  readonly pool?: ConnectionPool.PoolOptionsInput
  /** Local address to bind outgoing connections to. */
  readonly localAddress?: string
  /** `auto` (default): send by BDAT when the server offers CHUNKING (RFC 3030); `off`: always DATA. */
  readonly chunking?: Transaction.ChunkingMode
}

/** The client. */
export class SmtpClient extends Context.Service<SmtpClient, {
  /**
   * Runs one transaction with `host:port`. Fails with {@link ConnectError} when no session could be established
   * (refused, timeout, TLS required but unavailable, greeting refused); otherwise every recipient has a result.
   */
  readonly send: (request: SendRequest) => Effect.Effect<DeliveryResult.TransactionResult, ConnectError>
  /** {@link send}, with a `ConnectError` turned into every recipient deferred (synthetic `451 4.4.x`). */
  readonly sendOrDefer: (request: SendRequest) => Effect.Effect<DeliveryResult.TransactionResult>
  /** Pool counters. */
  readonly stats: Effect.Effect<ConnectionPool.PoolStats>
  /** QUITs every idle pooled connection now (e.g. before shutdown or after a configuration change). */
  readonly closeIdle: Effect.Effect<void>
}>()("@cartero/delivery/SmtpClient") {
  /** A client with the given options; pooled connections are closed (QUIT) when the layer is released. */
  static readonly layer = (options: SmtpClientOptions = {}): Layer.Layer<SmtpClient> => Layer.effect(SmtpClient, make(options))

  /**
   * A client configured from `Config` (env by default): `SMTP_CLIENT_HELO_NAME`, `SMTP_CLIENT_TLS`
   * (none|opportunistic|required), `SMTP_CLIENT_TLS_VERIFY`, `SMTP_CLIENT_MAX_MESSAGES_PER_CONNECTION`,
   * `SMTP_CLIENT_IDLE_TIMEOUT`, `SMTP_CLIENT_CONNECT_TIMEOUT` (durations like `5 seconds`).
   */
  static readonly layerConfig: Layer.Layer<SmtpClient, Config.ConfigError> = Layer.unwrap(Effect.gen(function*() {
    const heloName = yield* Config.String("SMTP_CLIENT_HELO_NAME").pipe(Config.withDefault(os.hostname()))
    const mode = yield* Config.Literals(["none", "opportunistic", "required"], "SMTP_CLIENT_TLS").pipe(Config.withDefault("opportunistic" as const))
    const verify = yield* Config.Boolean("SMTP_CLIENT_TLS_VERIFY").pipe(Config.withDefault(mode === "required"))
    const maxMessagesPerConnection = yield* Config.Int("SMTP_CLIENT_MAX_MESSAGES_PER_CONNECTION").pipe(
      Config.withDefault(ConnectionPool.defaultOptions.maxMessagesPerConnection)
    )
    const idleTimeout = yield* Config.Duration("SMTP_CLIENT_IDLE_TIMEOUT").pipe(Config.withDefault(ConnectionPool.defaultOptions.idleTimeout))
    const connect = yield* Config.Duration("SMTP_CLIENT_CONNECT_TIMEOUT").pipe(Config.withDefault(Timeouts.defaults.connect))
    return SmtpClient.layer({
      heloName,
      tls: TlsPolicy.make(mode, { verify }),
      timeouts: { connect },
      pool: { maxMessagesPerConnection, idleTimeout }
    })
  }))
}

/** Builds the client; its pool belongs to the current scope. */
export const make = Effect.fnUntraced(function*(options: SmtpClientOptions) {
  const pool = yield* ConnectionPool.make(options.pool)
  const timeouts = Timeouts.make(options.timeouts)
  const heloName = options.heloName ?? os.hostname()
  const defaultTls = options.tls ?? TlsPolicy.opportunistic

  const connectOptions = (request: SendRequest): SmtpConnection.ConnectOptions => ({
    host: request.host,
    ...(request.address !== undefined ? { address: request.address } : {}),
    port: request.port ?? (request.path !== undefined ? 0 : 25),
    heloName,
    tls: request.tls ?? defaultTls,
    timeouts,
    ...(options.localAddress !== undefined ? { localAddress: options.localAddress } : {}),
    ...(request.auth !== undefined ? { auth: request.auth } : {}),
    ...(request.protocol !== undefined ? { protocol: request.protocol } : {}),
    ...(request.path !== undefined ? { path: request.path } : {})
  })

  const attempt = (request: SendRequest, fresh: boolean) =>
    Effect.scoped(Effect.gen(function*() {
      const lease = yield* pool.lease(connectOptions(request), fresh)
      const recipients = yield* Transaction.run(
        lease.connection,
        request.envelope,
        request.message,
        timeouts,
        lease.reused,
        options.chunking ?? "auto"
      )
      const result: DeliveryResult.TransactionResult = {
        remote: lease.connection.remote,
        recipients,
        reusedConnection: lease.reused,
        dsn: lease.connection.capabilities.dsn
      }
      return result
    }))

  // Runs per message: untraced (Effect.fn("SmtpClient.send") made a span and captured two stacks per call;
  // docs/benchmarks.md, "Profile and optimisations").
  const send = Effect.fnUntraced(function*(request: SendRequest) {
    yield* Effect.annotateCurrentSpan({
      "smtp.host": request.host,
      "smtp.address": request.address ?? "",
      "smtp.port": request.port ?? 25,
      "smtp.rcpts": request.envelope.recipients.length,
      // The user name only: the password never leaves its Redacted except on the wire.
      "smtp.auth.user": request.auth?.user ?? ""
    })
    const result = yield* attempt(request, false).pipe(
      // The pooled connection died while idle (seen at RSET, before anything of ours was sent): once more, fresh.
      Effect.catchTag("StaleConnection", (stale) =>
        Effect.logDebug("pooled connection was stale, reconnecting", stale.detail).pipe(
          Effect.andThen(attempt(request, true)),
          // A fresh connection is never reset, so it cannot be stale: reaching this is a bug.
          Effect.catchTag("StaleConnection", (again) => Effect.die(again))
        ))
    )
    yield* LogGate.whenEnabled("Debug", () =>
      Effect.logDebug("smtp transaction", DeliveryResult.describeRemote(result.remote), DeliveryResult.summary(result)))
    return result
  })

  const sendOrDefer = (request: SendRequest) =>
    send(request).pipe(Effect.catchTag("ConnectError", (e) =>
      Effect.succeed<DeliveryResult.TransactionResult>({
        remote: { host: e.host, port: e.port, address: e.address, greetingName: undefined, tls: undefined },
        recipients: DeliveryResult.all(request.envelope.recipients, e.toReply(), "connect", true),
        reusedConnection: false
      })))

  return SmtpClient.of({ send, sendOrDefer, stats: pool.stats, closeIdle: pool.closeIdle })
})
