/**
 * Options of the inbound SMTP server and their defaults.
 *
 * `SmtpServerOptions` is what an app (or `layerConfig`) passes in; {@link resolve} fills in the defaults once, so the
 * rest of the package reads plain values and never re-decides a default.
 *
 * @since 0.1.0
 */
import type { Session } from "@cartero/core"
import { HopCount } from "@cartero/smtp"
import { Duration } from "effect"
import * as os from "node:os"

/** The kind of a listener (port 25 MX, 587 submission, 465 implicit TLS). */
export type ListenerKind = Session.ListenerKind

/** Whether AUTH is offered on a listener. `required`: MAIL is refused until the client authenticated. */
export type AuthPolicy = "off" | "optional" | "required"

/** One listening socket. */
export interface ListenerOptions {
  readonly kind: ListenerKind
  /** TCP port; `0` picks a free one (see `SmtpServer.listeners` for the bound port). */
  readonly port: number
  /** Address to bind; default `127.0.0.1`. */
  readonly host?: string
  /**
   * A trusted listener (e.g. a submission socket only local clients can reach) offers AUTH without TLS. Never mark
   * a listener reachable from the Internet as trusted.
   */
  readonly trusted?: boolean
  /** Default `off` for `mx`, `required` for `submission` and `smtps`. */
  readonly auth?: AuthPolicy
}

/** Where the TLS key and certificate come from. */
export type TlsSource =
  /** PEM material given directly. */
  | { readonly key: string | Uint8Array; readonly cert: string | Uint8Array }
  /** PEM files, read at start-up. */
  | { readonly keyFile: string; readonly certFile: string }
  /** A development pair generated with `openssl` at first start and kept in `<dataDir>/tls/`. */
  | { readonly selfSigned: { readonly dataDir: string } }

/** SASL mechanisms the server may offer. */
export type AuthMethod = "PLAIN" | "LOGIN" | "CRAM-MD5"

/** Options of `SmtpServer.SmtpServer.layer`. Every field but `listeners` is optional. */
export interface SmtpServerOptions {
  /** The server's name: banner, EHLO reply, `Received: … by <hostname>`. Default `os.hostname()`. */
  readonly hostname?: string
  /** The listeners; default one MX listener on 127.0.0.1:2525 (25 when running as root). */
  readonly listeners?: ReadonlyArray<ListenerOptions>
  /** TLS material; without it STARTTLS is not offered and `smtps` listeners cannot start. */
  readonly tls?: TlsSource
  /** Largest message in octets, advertised as `SIZE`. Default 25 MiB. */
  readonly maxMessageSize?: number
  /** Recipients per transaction; beyond, `452 4.5.3`. Default 100. */
  readonly maxRecipients?: number
  /**
   * Octets of a message kept in memory; beyond, the message is written to a file in {@link spillDir} and only its
   * header block stays in memory (a header block must end within this size: else `552 5.3.4`). Default 256 KiB.
   */
  readonly spillThreshold?: number
  /**
   * Where the server makes its spill directory (`cartero-spill-*`, mode 0700, removed when the server stops).
   * Default the OS temporary directory.
   */
  readonly spillDir?: string
  /**
   * Most `Received:` fields a message may carry with the one this server adds (RFC 5321 §6.3); more is a mail loop,
   * refused with `554 5.4.6` at the end of DATA. Default 100.
   */
  readonly maxHops?: number
  /**
   * Longest command line in octets (without CRLF). Default 2048: RFC 5321's 512 plus room for ESMTP parameters,
   * as Postfix's `line_length_limit`. Longer lines get `500 5.5.2` and the session goes on.
   */
  readonly maxLineLength?: number
  /** Idle timeout of a client socket. Default 5 minutes (RFC 5321 §4.5.3.2). */
  readonly socketTimeout?: Duration.Input
  /** How long sessions in progress may go on after shutdown started. Default 10 seconds. */
  readonly shutdownTimeout?: Duration.Input
  /** Look up the PTR name of clients. Default `false` (it costs a DNS round trip per connection). */
  readonly reverseDns?: boolean
  /** Offer CHUNKING and take BDAT (RFC 3030). Default `true`. */
  readonly chunking?: boolean
  /**
   * Offer BINARYMIME and take `BODY=BINARYMIME` (RFC 3030 §3), only with {@link chunking}. Default `false`: such a
   * message cannot be relayed to a next hop without BINARYMIME (it is bounced `5.6.3`), see docs/delivery.md.
   */
  readonly binaryMime?: boolean
  /**
   * Connections open at once per listener; beyond, `421 4.7.0` before the banner. Default 1000 (Postfix bounds
   * the same with its process limit, 100 smtpd processes by default).
   */
  readonly maxClients?: number
  /**
   * Connections open at once per client (an IPv4 address or an IPv6 /64) per listener; beyond, `421 4.7.0` before
   * the banner. Default 50 (Postfix's `smtpd_client_connection_count_limit`).
   */
  readonly maxClientsPerIp?: number
  /**
   * New connections per client per minute and listener, refused attempts included; beyond, `421 4.7.0` before
   * the banner. Default 60 (Postfix's `smtpd_client_connection_rate_limit`, off by default there).
   */
  readonly maxConnectionRate?: number
  /**
   * Errors (4yz/5yz replies) a session may make before every further reply waits `errorSleep`. Default 10
   * (Postfix's `smtpd_soft_error_limit`). The counts start over when a message is delivered.
   */
  readonly softErrorLimit?: number
  /** Errors after which the session gets `421 4.7.0` and is closed. Default 20 (`smtpd_hard_error_limit`). */
  readonly hardErrorLimit?: number
  /** The delay of every reply once the soft error limit is reached. Default 1 second (`smtpd_error_sleep_time`). */
  readonly errorSleep?: Duration.Input
  /**
   * NOOP, RSET, VRFY and HELP commands a session may send for free; each one beyond counts as an error. Default
   * 100 (`smtpd_junk_command_limit`).
   */
  readonly junkCommandLimit?: number
  /**
   * The longest a client may take to send a message, from `354` to the final dot, however steadily it trickles
   * bytes (the idle timeout restarts with each one); then `421 4.4.2` and close. Default 10 minutes.
   */
  readonly dataTimeout?: Duration.Input
  /** The longest a connection may last; then `421 4.4.2` and close (between replies, never while a reply is pending). Default 1 hour. */
  readonly sessionTimeout?: Duration.Input
  /**
   * Failed AUTH attempts per client (across connections and listeners) within `authFailureWindow`; beyond, AUTH
   * is refused with `454 4.7.0` until the window is over. Default 10.
   */
  readonly authFailureLimit?: number
  /** The window of `authFailureLimit`, counted from the client's first failure in it. Default 10 minutes. */
  readonly authFailureWindow?: Duration.Input
  /** Failed AUTH attempts per connection before `421 4.7.0` and close. Default 3. */
  readonly maxAuthFailures?: number
  /**
   * Failed AUTH slows down: the n-th failure on a connection is answered after n × this delay (default 1 second),
   * so password guessing costs time before `maxAuthFailures` disconnects.
   */
  readonly authFailureDelay?: Duration.Input
  /** SASL mechanisms offered; default `["PLAIN", "LOGIN"]`. */
  readonly authMethods?: ReadonlyArray<AuthMethod>
  /**
   * Advertise `DSN` (RFC 3461) and accept `RET`/`ENVID` on MAIL and `NOTIFY`/`ORCPT` on RCPT into the envelope.
   * Default `true`. Off, those parameters are refused with `555 5.5.4`.
   */
  readonly dsn?: boolean
  /** PROXY protocol v1/v2 on some listeners (behind a load balancer); off by default. */
  readonly proxyProtocol?: ProxyProtocolOptions
}

/**
 * PROXY protocol (HAProxy v1 and v2): the listeners where every connection must start with the header, and the
 * peers it is believed from (docs/decisions/proxy-protocol.md).
 */
export interface ProxyProtocolOptions {
  /** The listener kinds that expect the header. */
  readonly listeners: ReadonlyArray<ListenerKind>
  /** The load balancers: CIDR networks or single addresses (`10.0.0.0/8`, `::1`); anyone else is closed. */
  readonly trusted: ReadonlyArray<string>
  /** How long a trusted proxy has to send the whole header; default 5 seconds. */
  readonly timeout?: Duration.Input
}

/** A listener with its defaults applied. */
export interface ResolvedListener {
  readonly kind: ListenerKind
  readonly port: number
  readonly host: string
  readonly trusted: boolean
  readonly auth: AuthPolicy
}

/** Options with every default applied. */
export interface ResolvedOptions {
  readonly hostname: string
  readonly listeners: ReadonlyArray<ResolvedListener>
  readonly tls: TlsSource | undefined
  readonly maxMessageSize: number
  readonly maxRecipients: number
  readonly spillThreshold: number
  /** Before the server starts, where to make the spill directory; once it runs, the spill directory itself. */
  readonly spillDir: string
  readonly maxHops: number
  readonly maxLineLength: number
  readonly socketTimeout: Duration.Duration
  readonly shutdownTimeout: Duration.Duration
  readonly reverseDns: boolean
  readonly chunking: boolean
  readonly binaryMime: boolean
  readonly maxClients: number
  readonly maxClientsPerIp: number
  readonly maxConnectionRate: number
  readonly softErrorLimit: number
  readonly hardErrorLimit: number
  readonly errorSleep: Duration.Duration
  readonly junkCommandLimit: number
  readonly dataTimeout: Duration.Duration
  readonly sessionTimeout: Duration.Duration
  readonly authFailureLimit: number
  readonly authFailureWindow: Duration.Duration
  readonly maxAuthFailures: number
  readonly authFailureDelay: Duration.Duration
  readonly authMethods: ReadonlyArray<AuthMethod>
  readonly dsn: boolean
  readonly proxyProtocol: ProxyProtocolOptions | undefined
}

/** 25 MiB. */
export const defaultMaxMessageSize = 25 * 1024 * 1024
export const defaultMaxRecipients = 100
export const defaultMaxLineLength = 2048
export const defaultHost = "127.0.0.1"

/**
 * The defaults of the connection and session limits, an MX operator's choice with Postfix's as the reference
 * (docs/decisions/connection-and-session-limits.md).
 */
export const defaultLimits = {
  maxClients: 1000,
  maxClientsPerIp: 50,
  maxConnectionRate: 60,
  softErrorLimit: 10,
  hardErrorLimit: 20,
  errorSleep: "1 second",
  junkCommandLimit: 100,
  dataTimeout: "10 minutes",
  sessionTimeout: "1 hour",
  authFailureLimit: 10,
  authFailureWindow: "10 minutes"
} as const

/** Whether the process runs as root (may bind port 25). */
export const isRoot = (): boolean => typeof process.getuid === "function" && process.getuid() === 0

/** 25 as root, else 2525 (an unprivileged process cannot bind ports below 1024). */
export const defaultMxPort = (): number => (isRoot() ? 25 : 2525)

/** The default AUTH policy of a listener kind. */
export const defaultAuth = (kind: ListenerKind): AuthPolicy => (kind === "mx" ? "off" : "required")

/** Default spill threshold: 256 KiB. */
export const defaultSpillThreshold = 256 * 1024

/** Applies the defaults. */
export const resolve = (options: SmtpServerOptions): ResolvedOptions => ({
  hostname: options.hostname ?? os.hostname(),
  listeners: (options.listeners ?? [{ kind: "mx", port: defaultMxPort() }]).map((l) => ({
    kind: l.kind,
    port: l.port,
    host: l.host ?? defaultHost,
    trusted: l.trusted ?? false,
    auth: l.auth ?? defaultAuth(l.kind)
  })),
  tls: options.tls,
  maxMessageSize: options.maxMessageSize ?? defaultMaxMessageSize,
  maxRecipients: options.maxRecipients ?? defaultMaxRecipients,
  spillThreshold: options.spillThreshold ?? defaultSpillThreshold,
  spillDir: options.spillDir ?? os.tmpdir(),
  maxHops: options.maxHops ?? HopCount.defaultLimit,
  maxLineLength: options.maxLineLength ?? defaultMaxLineLength,
  socketTimeout: Duration.fromInputUnsafe(options.socketTimeout ?? "5 minutes"),
  shutdownTimeout: Duration.fromInputUnsafe(options.shutdownTimeout ?? "10 seconds"),
  reverseDns: options.reverseDns ?? false,
  chunking: options.chunking ?? true,
  binaryMime: (options.chunking ?? true) && (options.binaryMime ?? false),
  maxClients: options.maxClients ?? defaultLimits.maxClients,
  maxClientsPerIp: options.maxClientsPerIp ?? defaultLimits.maxClientsPerIp,
  maxConnectionRate: options.maxConnectionRate ?? defaultLimits.maxConnectionRate,
  softErrorLimit: options.softErrorLimit ?? defaultLimits.softErrorLimit,
  hardErrorLimit: options.hardErrorLimit ?? defaultLimits.hardErrorLimit,
  errorSleep: Duration.fromInputUnsafe(options.errorSleep ?? defaultLimits.errorSleep),
  junkCommandLimit: options.junkCommandLimit ?? defaultLimits.junkCommandLimit,
  dataTimeout: Duration.fromInputUnsafe(options.dataTimeout ?? defaultLimits.dataTimeout),
  sessionTimeout: Duration.fromInputUnsafe(options.sessionTimeout ?? defaultLimits.sessionTimeout),
  authFailureLimit: options.authFailureLimit ?? defaultLimits.authFailureLimit,
  authFailureWindow: Duration.fromInputUnsafe(options.authFailureWindow ?? defaultLimits.authFailureWindow),
  maxAuthFailures: options.maxAuthFailures ?? 3,
  authFailureDelay: Duration.fromInputUnsafe(options.authFailureDelay ?? "1 second"),
  authMethods: options.authMethods ?? ["PLAIN", "LOGIN"],
  dsn: options.dsn ?? true,
  proxyProtocol: options.proxyProtocol
})

/**
 * Every limit with its value, for the server's start-up log line (debug level): an operator can check what a fresh
 * start enforces without reading the code. Durations are rendered as `10m`, `1h`.
 */
export const describeLimits = (options: ResolvedOptions): Readonly<Record<string, string | number>> => ({
  maxClients: options.maxClients,
  maxClientsPerIp: options.maxClientsPerIp,
  maxConnectionRate: `${options.maxConnectionRate}/min`,
  softErrorLimit: options.softErrorLimit,
  hardErrorLimit: options.hardErrorLimit,
  errorSleep: Duration.format(options.errorSleep),
  junkCommandLimit: options.junkCommandLimit,
  dataTimeout: Duration.format(options.dataTimeout),
  sessionTimeout: Duration.format(options.sessionTimeout),
  socketTimeout: Duration.format(options.socketTimeout),
  authFailureLimit: `${options.authFailureLimit}/${Duration.format(options.authFailureWindow)}`,
  maxAuthFailures: options.maxAuthFailures,
  maxMessageSize: options.maxMessageSize,
  maxRecipients: options.maxRecipients,
  maxLineLength: options.maxLineLength,
  maxHops: options.maxHops,
  spillThreshold: options.spillThreshold
})
