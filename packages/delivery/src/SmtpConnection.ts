/**
 * One open SMTP session with a remote server: TCP connect, greeting, EHLO (HELO fallback), STARTTLS per
 * {@link TlsPolicy}, AUTH when the request carries {@link Auth.Credentials}, and the primitives a transaction needs
 * (send lines, read replies, write data blocks), each bounded by a timeout.
 *
 * `host` is the name the session is *for* (the MX or smarthost name: SNI, certificate verification, `Remote`,
 * logs); `address`, when given, is where the TCP connection goes (routing already resolved the name). Without
 * `address` the name is resolved by the OS.
 *
 * The connection lives in the `Scope` it was opened in (the pool gives each connection its own): closing that scope
 * sends `QUIT` when the session is healthy, waits briefly for `221`, and destroys the socket. Any session error marks
 * the connection broken so that it is never reused.
 *
 * @since 0.1.0
 */
import { SmtpReply } from "@cartero/smtp"
import { Duration, Effect, type Scope } from "effect"
import * as net from "node:net"
import * as tls from "node:tls"
import * as Auth from "./Auth.ts"
import * as Capabilities from "./Capabilities.ts"
import { ConnectError, type ConnectErrorReason, SessionError } from "./ConnectError.ts"
import * as DeliveryMetrics from "./DeliveryMetrics.ts"
import type { Remote, TlsInfo } from "./DeliveryResult.ts"
import { type Reply, ReplyReader } from "./ReplyReader.ts"
import type { Timeouts } from "./Timeouts.ts"
import type { TlsPolicy } from "./TlsPolicy.ts"

/** Where and how to connect. */
export interface ConnectOptions {
  /** The server's name (or an IP literal): SNI, certificate name, `Remote.host`. */
  readonly host: string
  /** The IP address to connect to; default: `host`, resolved by the OS. */
  readonly address?: string
  readonly port: number
  /** The name we announce in EHLO/HELO (our FQDN). */
  readonly heloName: string
  readonly tls: TlsPolicy
  readonly timeouts: Timeouts
  /** Local address to bind (multi-homed senders). */
  readonly localAddress?: string
  /** Authenticate after EHLO (RFC 4954); only over TLS unless `allowPlaintextAuth`. */
  readonly auth?: Auth.Credentials
}

/** An open session. Methods fail with {@link SessionError} and mark the connection broken when they do. */
export interface SmtpConnection {
  /** Process-unique id, for logs and tests. */
  readonly id: number
  readonly remote: Remote
  readonly capabilities: Capabilities.Capabilities
  /** Sends lines (each gets CRLF) in a single write: one command, or a PIPELINING group (one reply due per line). */
  readonly writeLines: (lines: ReadonlyArray<string>, context: string) => Effect.Effect<void, SessionError>
  /**
   * Writes raw octets (a DATA block), bounded by `timeout` until the peer has taken them. `replies`: how many
   * replies the data asks for (1 for the write that carries the final `.`; default 0).
   */
  readonly write: (data: Uint8Array, timeout: Duration.Duration, context: string, replies?: number) => Effect.Effect<void, SessionError>
  /**
   * Reads the next reply within `timeout`. It must be a completion (2yz/4yz/5yz), or with `intermediate` a 3yz
   * too; any other code fails with `unexpected` (see `ReplyReader.nextWithin`). `context` reads "to RCPT TO".
   */
  readonly read: (timeout: Duration.Duration, context: string, intermediate?: boolean) => Effect.Effect<Reply, SessionError>
  /** `writeLines([line])` then `read` (context `to <context>`). */
  readonly command: (line: string, timeout: Duration.Duration, context: string, intermediate?: boolean) => Effect.Effect<Reply, SessionError>
  /** Whether the connection can carry another transaction: not broken, not closed, nothing unsolicited buffered. */
  readonly usable: () => boolean
  /** Marks the connection unusable (e.g. after an abandoned DATA). */
  readonly markBroken: () => void
}

let nextId = 1

const connectReasonOf = (e: SessionError): ConnectErrorReason => {
  switch (e.reason) {
    case "timeout":
    case "tls":
    case "protocol":
    case "unexpected":
      return e.reason
    default:
      return "closed"
  }
}

const isIp = (host: string): boolean => net.isIP(host) !== 0

const connectReason = (e: NodeJS.ErrnoException): ConnectErrorReason =>
  e.code === "ECONNREFUSED" ? "refused" : e.code === "ETIMEDOUT" ? "timeout" : "unreachable"

/**
 * Opens a session. Fails with {@link ConnectError} when no usable session could be established; the socket is then
 * already released. On success, the connection belongs to the surrounding scope.
 */
export const open = Effect.fnUntraced(function*(options: ConnectOptions): Effect.fn.Return<SmtpConnection, ConnectError, Scope.Scope> {
  const { host, port, timeouts } = options
  // Known before the TCP connection when routing resolved the name, so that a refusal names the address too.
  let address: string | undefined = options.address
  const connectError = (reason: ConnectErrorReason, detail: string, reply?: Reply) =>
    new ConnectError({ reason, host, port, address, detail, reply: reply?.reply })
  const fromSession = (e: SessionError): ConnectError => connectError(connectReasonOf(e), e.detail)

  const socket = yield* Effect.acquireRelease(
    Effect.callback<net.Socket, ConnectError>((resume) => {
      const s = net.connect({ host: options.address ?? host, port, ...(options.localAddress !== undefined ? { localAddress: options.localAddress } : {}) })
      // SMTP is lock-step: without TCP_NODELAY, Nagle + delayed ACK cost ~40 ms per exchange.
      s.setNoDelay(true)
      // Never an unhandled 'error' event (it would crash the process): errors are read from the reader's state, and
      // this listener also covers the gaps (before the reader attaches, the plain socket under TLS).
      s.on("error", () => undefined)
      const onError = (e: NodeJS.ErrnoException) => resume(Effect.fail(connectError(connectReason(e), `${e.code ?? "error"}: ${e.message}`)))
      s.once("error", onError)
      s.once("connect", () => {
        s.off("error", onError)
        address = s.remoteAddress ?? address
        resume(Effect.succeed(s))
      })
      return Effect.sync(() => s.destroy())
    }).pipe(Effect.timeoutOrElse({
      duration: timeouts.connect,
      orElse: () => Effect.fail(connectError("timeout", `no TCP connection within ${Duration.format(timeouts.connect)}`))
    })),
    (s) => Effect.sync(() => s.destroy())
  )
  const reader = new ReplyReader(socket)
  let broken = false
  let tlsInfo: TlsInfo | undefined

  // Any failure or interruption mid-exchange leaves the session in an unknown state: never reuse it, never QUIT on it.
  const guard = <A>(effect: Effect.Effect<A, SessionError>): Effect.Effect<A, SessionError> =>
    Effect.onError(effect, () => Effect.sync(() => {
      broken = true
    }))

  // Timeouts as timers inside the callbacks rather than `Effect.timeoutOrElse` (a racing fiber and a sleep per
  // read and write, several % of the delivery CPU: docs/benchmarks.md, "Profile and optimisations").
  const rawWrite = (data: string | Uint8Array, timeout: Duration.Duration, context: string, replies: number) =>
    Effect.callback<void, SessionError>((resume) => {
      const s = reader.current
      if (reader.closed || s.destroyed || !s.writable) {
        return resume(Effect.fail(new SessionError({ reason: "closed", detail: `connection closed before ${context}` })))
      }
      // Before the write: a fast server's reply may arrive before the write's callback.
      reader.expect(replies)
      let done = false
      const timer = setTimeout(() => {
        done = true
        resume(Effect.fail(new SessionError({ reason: "timeout", detail: `${context} not accepted within ${Duration.format(timeout)}` })))
      }, Duration.toMillis(timeout))
      s.write(data, (e) => {
        clearTimeout(timer)
        if (done) return
        done = true
        resume(e ? Effect.fail(new SessionError({ reason: "write", detail: `${context}: ${e.message}` })) : Effect.void)
      })
      return Effect.sync(() => {
        done = true
        clearTimeout(timer)
      })
    })

  const read = (timeout: Duration.Duration, context: string, intermediate = false) =>
    guard(reader.nextWithin(context, {
      millis: Duration.toMillis(timeout),
      error: () => new SessionError({ reason: "timeout", detail: `no reply ${context} within ${Duration.format(timeout)}` })
    }, intermediate))

  const writeLines = (lines: ReadonlyArray<string>, context: string) =>
    guard(rawWrite(lines.map((l) => `${l}\r\n`).join(""), timeouts.command, context, lines.length))

  const command = (line: string, timeout: Duration.Duration, context: string, intermediate = false) =>
    Effect.andThen(writeLines([line], `sending ${context}`), read(timeout, `to ${context}`, intermediate))

  // Registered after the socket's own release, so it runs first: a polite QUIT on a healthy session.
  yield* Effect.addFinalizer(() =>
    broken || reader.closed
      ? Effect.void
      : command("QUIT", timeouts.quit, "QUIT").pipe(
        Effect.timeout(timeouts.quit),
        Effect.ignore,
        Effect.andThen(Effect.sync(() => reader.current.destroy()))
      )
  )

  const greeting = yield* read(timeouts.greeting, "to the greeting").pipe(Effect.mapError(fromSession))
  if (greeting.reply.code !== 220) return yield* connectError("greeting", `greeted with ${greeting.lines.join(" / ")}`, greeting)
  const greetingName = greeting.reply.lines[0]?.split(" ")[0] || undefined

  const hello = Effect.fnUntraced(function*() {
    const ehlo = yield* command(`EHLO ${options.heloName}`, timeouts.command, "EHLO").pipe(Effect.mapError(fromSession))
    if (SmtpReply.isPositive(ehlo.reply)) return Capabilities.fromEhlo(ehlo.lines)
    // RFC 5321 §3.2: a server that does not know EHLO answers 5yz (500/502); anything else is a refusal.
    if (!SmtpReply.isPermanent(ehlo.reply)) return yield* connectError("greeting", `EHLO answered ${ehlo.lines.join(" / ")}`, ehlo)
    const helo = yield* command(`HELO ${options.heloName}`, timeouts.command, "HELO").pipe(Effect.mapError(fromSession))
    if (SmtpReply.isPositive(helo.reply)) return Capabilities.none
    return yield* connectError("greeting", `EHLO and HELO refused: ${helo.lines.join(" / ")}`, helo)
  })

  let capabilities = yield* hello()

  const policy = options.tls
  if (policy.mode === "none") yield* DeliveryMetrics.recordTls("disabled")
  else {
    if (!capabilities.startTls) {
      yield* DeliveryMetrics.recordTls("not_offered")
      if (policy.mode === "required") return yield* connectError("tls", "STARTTLS not offered")
    } else {
      const reply = yield* command("STARTTLS", timeouts.command, "STARTTLS").pipe(Effect.mapError(fromSession))
      if (reply.reply.code !== 220) {
        yield* DeliveryMetrics.recordTls("refused")
        if (policy.mode === "required") return yield* connectError("tls", `STARTTLS refused: ${reply.lines.join(" / ")}`, reply)
      } else {
        tlsInfo = yield* upgrade(reader, options).pipe(
          Effect.mapError(fromSession),
          Effect.tapError(() => DeliveryMetrics.recordTls("failed"))
        )
        yield* DeliveryMetrics.recordTls(tlsInfo.authorized ? "verified" : "unverified")
        if (policy.verify && !tlsInfo.authorized && policy.mode === "required") {
          broken = true
          return yield* connectError("tls", `certificate not verified: ${tlsInfo.authorizationError ?? "unknown reason"}`)
        }
        // RFC 3207 §4.2: forget everything learned before TLS and ask again.
        capabilities = yield* hello()
      }
    }
  }

  const credentials = options.auth
  if (credentials !== undefined) {
    // Checked before anything is sent: a password must not cross a session an observer can read.
    if (tlsInfo === undefined && credentials.allowPlaintextAuth !== true) {
      return yield* connectError(
        "auth",
        `AUTH requires TLS and the session is not encrypted (TLS policy ${policy.mode}${
          policy.mode !== "none" && !capabilities.startTls ? ", STARTTLS not offered" : ""
        }); allowPlaintextAuth is for trusted relays only`
      )
    }
    if (tlsInfo !== undefined && !tlsInfo.authorized && credentials.allowUnverifiedPeer !== true && credentials.allowPlaintextAuth !== true) {
      return yield* connectError(
        "auth",
        `AUTH requires a verified certificate and ${host}'s does not verify (${tlsInfo.authorizationError ?? "unknown reason"}); ` +
          "the password was not sent (trust its CA, or allow an unverified peer explicitly)"
      )
    }
    if (capabilities.auth.length === 0) return yield* connectError("auth", "AUTH not offered (credentials configured for this relay)")
    // AUTH steps may be answered 334 (a challenge): intermediate replies are the exchange's to judge.
    const exchange = (line: string, timeout: Duration.Duration, context: string) => command(line, timeout, context, true)
    const outcome = yield* Auth.authenticate(exchange, credentials, capabilities.auth, timeouts.command).pipe(Effect.mapError(fromSession))
    if (outcome._tag === "Rejected") return yield* connectError("auth", outcome.detail, outcome.reply)
  }

  const connection: SmtpConnection = {
    id: nextId++,
    remote: { host, port, address, greetingName, tls: tlsInfo },
    capabilities,
    writeLines,
    write: (data, timeout, context, replies = 0) => guard(rawWrite(data, timeout, context, replies)),
    read,
    command,
    usable: () => !broken && !reader.closed && !reader.current.destroyed && !reader.hasPending,
    markBroken: () => {
      broken = true
    }
  }
  return connection
})

/**
 * Wraps the plain socket in TLS right after the `220` to STARTTLS. The reader moves to the TLS socket and drops
 * every plaintext byte it had buffered (a man-in-the-middle's injected "replies"). Certificate problems do not fail
 * the handshake here (`rejectUnauthorized: false`); they are reported in {@link TlsInfo} and judged by the policy,
 * so that `required` and `opportunistic` share one code path.
 */
const upgrade = (reader: ReplyReader, options: ConnectOptions): Effect.Effect<TlsInfo, SessionError> =>
  Effect.callback<TlsInfo, SessionError>((resume) => {
    const policy = options.tls
    const servername = policy.servername ?? (isIp(options.host) ? undefined : options.host)
    const secure = tls.connect({
      socket: reader.current,
      rejectUnauthorized: false,
      host: servername ?? options.host,
      minVersion: policy.minVersion ?? "TLSv1.2",
      ...(servername !== undefined ? { servername } : {}),
      ...(policy.ca !== undefined ? { ca: typeof policy.ca === "string" || Buffer.isBuffer(policy.ca) ? policy.ca : [...policy.ca] } : {})
    })
    reader.swap(secure)
    const onError = (e: Error) => resume(Effect.fail(new SessionError({ reason: "tls", detail: `TLS handshake failed: ${e.message}` })))
    secure.once("error", onError)
    secure.once("secureConnect", () => {
      secure.off("error", onError)
      secure.setNoDelay(true)
      const authError = secure.authorizationError
      resume(Effect.succeed({
        protocol: secure.getProtocol() ?? undefined,
        cipher: secure.getCipher()?.name,
        authorized: secure.authorized,
        authorizationError: authError === undefined || authError === null ? undefined : String(authError)
      }))
    })
    return Effect.sync(() => secure.off("error", onError))
  }).pipe(Effect.timeoutOrElse({
    duration: options.timeouts.tlsHandshake,
    // Reported as a TLS failure (not a plain timeout) so that opportunistic TLS can fall back to plaintext.
    orElse: () => Effect.fail(new SessionError({ reason: "tls", detail: `TLS handshake not done within ${Duration.format(options.timeouts.tlsHandshake)}` }))
  }))
