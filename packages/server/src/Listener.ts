/**
 * One listening socket: an `SMTPServer` configured for its kind (MX, submission, implicit TLS), wired to the
 * pipeline, bound with `acquireRelease` so that closing the scope stops accepting, lets transactions in progress
 * finish (up to `shutdownTimeout`, see {@link drain}) and closes the socket.
 *
 * smtp-server settings that matter, and why:
 * - `hideENHANCEDSTATUSCODES: false`: advertise ENHANCEDSTATUSCODES; our own codes go through `ReplyPatch`;
 * - `authOptional: true`: the "AUTH required" rule is ours (per listener, `530 5.7.0` at MAIL), so smtp-server's
 *   own counter of unauthenticated commands never disconnects an MX client;
 * - `maxCommandLength`: far above our `maxLineLength`, which `CommandPatch` enforces with `500 5.5.2`; the library
 *   limit only bounds the memory of a line that never ends (it answers 421 and closes);
 * - `maxClients`: our own limit (`ListenerLimits`, checked first, with `421 4.7.0`); passed on because the library
 *   also applies it to implicit-TLS sockets still in their handshake;
 * - no `rejectOversized`: `DataReader` enforces the size with our reply, and keeps nothing past the limit;
 * - `disableReverseLookup` unless `reverseDns`; `logger: false` (we log through Effect);
 * - `hideDSN`, `hideREQUIRETLS`: not implemented end to end yet, so not advertised;
 * - sendmail's joke commands (WIZ, SHELL, KILL) are disabled.
 *
 * @since 0.1.0
 */
import type { Pipeline } from "@cartero/core"
import { type Clock, Duration, Effect, Fiber } from "effect"
import type * as net from "node:net"
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from "smtp-server"
import type { Bridge } from "./Bridge.ts"
import * as CommandPatch from "./CommandPatch.ts"
import * as DataHandler from "./DataHandler.ts"
import * as Handlers from "./Handlers.ts"
import * as ListenerLimits from "./ListenerLimits.ts"
import * as Replies from "./Replies.ts"
import * as ReplyPatch from "./ReplyPatch.ts"
import * as ServerExtension from "./ServerExtension.ts"
import { SmtpServerError } from "./ServerError.ts"
import type { ResolvedListener, ResolvedOptions } from "./ServerOptions.ts"
import type * as SessionState from "./SessionState.ts"
import type { Recorder } from "./ServerMetrics.ts"
import type { TlsMaterial } from "./TlsMaterial.ts"

/** A listener once bound. */
export interface BoundListener {
  readonly kind: ResolvedListener["kind"]
  /** The address actually bound. */
  readonly host: string
  /** The port actually bound (the real one when 0 was asked). */
  readonly port: number
  readonly trusted: boolean
}

/** The smtp-server options of a listener (callbacks excluded). */
export const serverOptions = (
  options: ResolvedOptions,
  listener: ResolvedListener,
  tls: TlsMaterial | undefined
): SMTPServerOptions => ({
  name: options.hostname,
  heloResponse: "%s Hello %s",
  secure: listener.kind === "smtps",
  ...(tls !== undefined ? { key: tls.key, cert: tls.cert } : {}),
  hideSTARTTLS: tls === undefined,
  disabledCommands: [...(tls === undefined ? ["STARTTLS"] : []), "WIZ", "SHELL", "KILL"],
  hideENHANCEDSTATUSCODES: false,
  hidePIPELINING: false,
  hide8BITMIME: false,
  hideSMTPUTF8: false,
  hideDSN: true,
  hideREQUIRETLS: true,
  size: options.maxMessageSize,
  hideSize: false,
  maxRecipients: options.maxRecipients,
  maxCommandLength: Math.max(16 * 1024, options.maxLineLength * 4),
  authMethods: [...options.authMethods],
  authOptional: true,
  allowInsecureAuth: listener.trusted,
  disableReverseLookup: !options.reverseDns,
  socketTimeout: Duration.toMillis(options.socketTimeout),
  closeTimeout: Math.max(1, Duration.toMillis(options.shutdownTimeout)),
  maxClients: options.maxClients,
  logger: false
})

/**
 * Whether an error smtp-server reports is a failed TLS handshake (STARTTLS or implicit): the library passes those,
 * and only those, through its `normalizeTLSError`, which gives them `meta.stage = "connect"`.
 */
export const isTlsFailure = (error: Error): boolean => {
  const meta: unknown = (error as { readonly meta?: unknown }).meta
  return typeof meta === "object" && meta !== null && (meta as { readonly stage?: unknown }).stage === "connect"
}

const pollInterval = Duration.millis(50)

/**
 * Graceful shutdown of one listener. smtp-server's own `close()` answers `421` to every command as soon as it is
 * called, which would cut transactions in progress, so:
 * 1. stop accepting (close the listening socket);
 * 2. tell idle sessions (no transaction, no reply pending) `421 4.3.2` now, and any other session at its next
 *    command once its transaction is over (`CommandPatch`);
 * 3. wait for the sessions to end, at most `shutdownTimeout`;
 * 4. whoever is left gets `421 4.3.2` and is disconnected.
 */
export const drain = (server: SMTPServer, extension: ServerExtension.ServerExtension, timeout: Duration.Duration) =>
  Effect.gen(function*() {
    extension.draining = true
    const closed = Effect.callback<void>((resume) => {
      server.server.close(() => resume(Effect.void))
    })
    const listening = yield* Effect.forkChild(closed)
    for (const connection of server.connections) {
      if (CommandPatch.isIdle(connection)) ReplyPatch.send(connection, Replies.shuttingDown)
    }
    yield* Effect.sleep(pollInterval).pipe(
      Effect.repeat({ until: () => server.connections.size === 0 }),
      Effect.timeout(timeout),
      Effect.ignore
    )
    for (const connection of server.connections) {
      ReplyPatch.send(connection, Replies.shuttingDown)
      connection.close()
    }
    // Closed sockets let the listening socket's close complete; bounded in case a peer never finishes.
    yield* Fiber.join(listening).pipe(Effect.timeout(Duration.seconds(6)), Effect.ignore)
  })

/** Starts one listener in the current scope. */
export const make = Effect.fn("Listener.make")(function*(
  options: ResolvedOptions,
  listener: ResolvedListener,
  tls: TlsMaterial | undefined,
  pipeline: Pipeline.PipelineShape,
  bridge: Bridge,
  authFailures: ListenerLimits.AuthFailures,
  clock: Clock.Clock,
  metrics: Recorder
) {
  ReplyPatch.install()
  CommandPatch.install()
  if (listener.kind === "smtps" && tls === undefined) {
    return yield* new SmtpServerError({
      reason: "Tls",
      message: "the smtps (implicit TLS) listener needs a TLS key and certificate"
    })
  }
  if (listener.auth !== "off" && tls === undefined && !listener.trusted) {
    yield* Effect.logWarning(`${listener.kind} listener has no TLS and is not trusted: AUTH can never be used on it`)
  }
  const limits = new ListenerLimits.ListenerLimits(options, authFailures, clock, bridge, listener.kind, metrics)
  const ctx: Handlers.Context = {
    options,
    listener,
    pipeline,
    bridge,
    tls: tls !== undefined,
    states: new WeakMap<SMTPServerSession, SessionState.ConnState>(),
    limits
  }
  const { callbacks, extension } = Handlers.make(ctx)
  const server = new SMTPServer({ ...serverOptions(options, listener, tls), ...callbacks, onData: DataHandler.make(ctx) })
  ServerExtension.register(server, extension)
  // An unhandled 'error' event would crash the process; socket errors of single clients end up here too.
  server.on("error", (error: Error) => {
    if (isTlsFailure(error)) metrics.tlsFailed()
    bridge.fire("-", Effect.logDebug(`${listener.kind} listener: ${error.message}`))
  })
  // smtp-server sets TCP_NODELAY on the sockets it wraps; set it at accept time too so nothing waits for Nagle
  // (SMTP is lock-step: delayed ACKs would cost ~40 ms per exchange).
  server.server.on("connection", (socket: net.Socket) => socket.setNoDelay(true))

  const address = yield* Effect.acquireRelease(
    Effect.callback<net.AddressInfo, SmtpServerError>((resume) => {
      const onError = (error: Error) =>
        resume(Effect.fail(
          new SmtpServerError({
            reason: "Listen",
            message: `cannot listen on ${listener.host}:${listener.port} (${listener.kind}): ${error.message}`,
            cause: error
          })
        ))
      server.server.once("error", onError)
      server.listen(listener.port, listener.host, () => {
        server.server.removeListener("error", onError)
        const bound = server.server.address()
        if (bound !== null && typeof bound === "object") resume(Effect.succeed(bound))
        else resume(Effect.fail(new SmtpServerError({ reason: "Listen", message: "listener has no TCP address" })))
      })
    }),
    () => drain(server, extension, options.shutdownTimeout).pipe(Effect.andThen(Effect.logDebug(`${listener.kind} listener closed`)))
  )
  // The DATA and lifetime bounds: one sweeper per listener rather than a timer per session (a message costs one
  // clock read); it stops with the listener's scope, before the listener drains.
  yield* Effect.sleep(ListenerLimits.tickOf(options)).pipe(
    Effect.andThen(Effect.sync(() => {
      for (const [connection, reply] of limits.overdue(server.connections)) ReplyPatch.send(connection, reply)
    })),
    Effect.forever,
    Effect.forkScoped
  )
  yield* Effect.logInfo(`${listener.kind} listener on ${address.address}:${address.port}`)
  return { kind: listener.kind, host: address.address, port: address.port, trusted: listener.trusted } satisfies BoundListener
})
