/**
 * The `lmtp` outbound plugin: hands the queued mail of chosen domains (by default the local domains) to an LMTP
 * server (RFC 2033) such as Dovecot's or Cyrus's, over a Unix domain socket or TCP, instead of routing it by MX.
 *
 * It is a `route` hook that answers with a delivery transport (`OutboundHooks.transport`): the mail goes through the
 * durable queue and the delivery workers like any other, so an LMTP server that is down or busy defers it (retried
 * by the retry policy, never lost) and what it refuses for good is bounced with a DSN. LMTP answers the end of data
 * once per recipient: each recipient gets its own outcome (one mailbox over quota, `452 4.2.2`, is retried alone;
 * `550 5.1.1` bounces that recipient only; the others are delivered).
 *
 * ```ts
 * // cartero.config.ts: local mail to Dovecot instead of Maildir
 * plugins: [Auth.pluginConfig, LocalDomains.pluginConfig, QueueHandoff.plugin],
 * outbound: [Lmtp.pluginConfig, ...defaults.outbound],
 * settings: { CARTERO_LMTP_ADDRESS: "unix:/run/dovecot/lmtp" }
 * ```
 *
 * Put it before any other `route` hook that would claim the same domains (the reference app's `local-return`
 * sends local domains back to its own MX listener): the first hook that decides wins.
 *
 * @since 0.1.0
 */
import { DeliveryConfig, DeliveryResult, OutboundHooks, SmtpClient, type Timeouts, TlsPolicy, Transport } from "@cartero/delivery"
import { LocalDomains } from "@cartero/plugin-local-domains"
import { Setting } from "@cartero/settings"
import { Config, Effect, Option, type Scope } from "effect"
import * as net from "node:net"

/** The plugin's name, as it appears in span names and logs. */
export const name = "lmtp"

/** Where the LMTP server listens. */
export type Address =
  | { readonly _tag: "Unix"; readonly path: string }
  | { readonly _tag: "Tcp"; readonly host: string; readonly port: number }

/** Options, given in code (or in `cartero.config.ts`). */
export interface Options {
  /** The LMTP server ({@link parseAddress} reads the text forms). */
  readonly address: Address
  /** The domains whose mail goes there (lower case, ASCII), e.g. the local domains. */
  readonly domains: ReadonlyArray<string>
  /** The name sent in `LHLO`. Default: the machine's host name. */
  readonly lhloName?: string
  /** Overrides of the SMTP client's timeouts (the end of data waits `dataTermination`, 10 minutes by default). */
  readonly timeouts?: Timeouts.TimeoutsInput
}

/** LMTP has no assigned port; 24 is the one Dovecot's and Cyrus's examples use. */
export const defaultPort = 24

/**
 * Reads an LMTP server address: `unix:/run/dovecot/lmtp` or an absolute path (a Unix socket), `host:port`,
 * `[IPv6]:port`, or a bare host or IPv4 address (port {@link defaultPort}).
 */
export const parseAddress: Setting.Parser<Address> = (raw) => {
  const text = raw.trim()
  const path = text.startsWith("unix:") ? text.slice(5) : text
  if (path.startsWith("/")) return path.length > 1 && !path.includes("\0") ? { _tag: "Unix", path } : undefined
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+))(?::(\d{1,5}))?$/.exec(text)
  if (m === null) return undefined
  const host = m[1] ?? m[2]
  if (host === undefined || (m[1] !== undefined && !net.isIPv6(m[1]))) return undefined
  const port = m[3] === undefined ? defaultPort : Number(m[3])
  return port >= 1 && port <= 65535 ? { _tag: "Tcp", host, port } : undefined
}

/** `lmtp:/run/dovecot/lmtp` or `lmtp:127.0.0.1:24`: the transport's name in logs and destination limits. */
export const describe = (address: Address): string =>
  address._tag === "Unix" ? `lmtp:${address.path}` : `lmtp:${address.host.includes(":") ? `[${address.host}]` : address.host}:${address.port}`

/**
 * The LMTP transport: its own SMTP client speaking LMTP (pooled sessions, no TLS: the server is local or on a
 * trusted network), whose connection failures defer every recipient of the attempt.
 */
export const transport = Effect.fnUntraced(function*(options: Pick<Options, "address" | "lhloName" | "timeouts">): Effect.fn.Return<Transport.Transport, never, Scope.Scope> {
  const client = yield* SmtpClient.make({
    tls: TlsPolicy.none,
    ...(options.lhloName !== undefined ? { heloName: options.lhloName } : {}),
    ...(options.timeouts !== undefined ? { timeouts: options.timeouts } : {})
  })
  const address = options.address
  const where = address._tag === "Unix" ? { host: address.path, path: address.path } : { host: address.host, port: address.port }
  return Transport.make(describe(address), (request) =>
    client.send({ ...where, protocol: "lmtp", envelope: request.envelope, message: request.message }).pipe(
      Effect.catchTag("ConnectError", (e) =>
        Effect.succeed<DeliveryResult.TransactionResult>({
          remote: { host: e.host, port: e.port, address: e.address, greetingName: undefined, tls: undefined },
          recipients: DeliveryResult.all(request.envelope.recipients, e.toReply(), "connect", true),
          reusedConnection: false
        }))
    ))
})

const hooks = (options: Options) =>
  Effect.gen(function*() {
    const via = yield* transport(options)
    return { route: OutboundHooks.routeDomains(options.domains, via) }
  })

/** The plugin, configured in code. */
export const plugin = (options: Options): OutboundHooks.OutboundPlugin => OutboundHooks.make(name, hooks(options))

// ---------------------------------------------------------------------------------------------------------------
// From the environment

/** The environment variable behind each option. */
export const variables = {
  address: "CARTERO_LMTP_ADDRESS",
  domains: "CARTERO_LMTP_DOMAINS"
} as const

/**
 * The options from `CARTERO_LMTP_ADDRESS` (required) and `CARTERO_LMTP_DOMAINS` (default: `CARTERO_LOCAL_DOMAINS`);
 * the `LHLO` name is `CARTERO_HOSTNAME` (see {@link pluginConfig}).
 */
export const config: Config.Config<Pick<Options, "address" | "domains">> = Config.all({
  address: Setting.config(variables.address, "unix:/path/to/socket, /path/to/socket, host:port or [IPv6]:port", parseAddress),
  domains: Config.option(Setting.config(variables.domains, "a comma-separated list of domain names", (raw) => {
    const list = Setting.list(raw).map((d) => d.toLowerCase())
    return list.length > 0 ? list : undefined
  })),
  local: LocalDomains.config
}).pipe(Config.map(({ address, domains, local }) => ({ address, domains: Option.getOrElse(domains, () => local.domains) })))

/** The plugin, configured from the environment when the outbound pipeline is built (`LHLO` with `CARTERO_HOSTNAME`). */
export const pluginConfig: OutboundHooks.OutboundPlugin<Config.ConfigError, DeliveryConfig.DeliveryConfig> = OutboundHooks.make(
  name,
  Effect.gen(function*() {
    const settings = yield* DeliveryConfig.DeliveryConfig
    return yield* hooks({ ...(yield* config), lhloName: settings.hostname })
  })
)
