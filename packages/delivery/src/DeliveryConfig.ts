/**
 * Settings of outbound delivery (routing, limits, TLS, bounces), as a service so that the router and the worker
 * read one value and tests can build it directly.
 *
 * `DeliveryConfig.layerConfig` reads (defaults in brackets):
 *
 * | variable | meaning |
 * |---|---|
 * | `CARTERO_HOSTNAME` [OS host name] | our name: EHLO (wire it into the client), loop detection, DSN `Reporting-MTA` |
 * | `CARTERO_SELF_NAMES` [none] | more names of this server (comma separated) for loop detection |
 * | `CARTERO_SELF_ADDRESSES` [none] | more IP addresses that are us (behind NAT, a load balancer), for loop detection |
 * | `CARTERO_MAX_HOPS` [100] | a queued message with more `Received:` fields is bounced (`554 5.4.6`), not sent |
 * | `CARTERO_OUTBOUND_PORT` [25] | destination port for MX routing (tests, submission relays) |
 * | `CARTERO_SMARTHOST` [none] | `host[:port]`: send everything there instead of MX routing |
 * | `CARTERO_SMARTHOST_USER` [none] | authenticate at the smarthost as this user (AUTH PLAIN/LOGIN, over TLS only) |
 * | `CARTERO_SMARTHOST_PASSWORD` [none] | its password (read as `Redacted`; both or neither, and only with a smarthost) |
 * | `CARTERO_SMARTHOST_CA` [Node's CAs] | PEM file of the CAs the smarthost's certificate is verified against (a private CA) |
 * | `CARTERO_SMARTHOST_PASSWORD_TO_UNVERIFIED_PEER` [false] | send the password even when the smarthost's certificate does not verify (loudly logged) |
 * | `CARTERO_STATIC_ROUTES` [none] | `domain=host[:port],.sub.example=[ip]:port` |
 * | `CARTERO_OUTBOUND_TLS` [opportunistic] | `none`, `opportunistic` or `required` (verified) |
 * | `CARTERO_OUTBOUND_ADDRESS_PREFERENCE` [ipv6] | which family of an MX host's addresses to try first |
 * | `CARTERO_DELIVERY_WORKERS` [50] | worker fibers (each carries one transaction at a time); 0: receive only, this process delivers nothing |
 * | `CARTERO_DESTINATION_CONCURRENCY` [20] | concurrent transactions per destination domain (Postfix's default) |
 * | `CARTERO_DESTINATION_RATE_DELAY` [0] | pause between two deliveries to one domain (`1s`; Postfix's `destination_rate_delay`) |
 * | `CARTERO_MAX_CONNECTIONS` [100] | concurrent transactions in total |
 * | `CARTERO_SHUTDOWN_TIMEOUT` [10s] | on shutdown, how long in-flight deliveries may finish (shared with the listeners) |
 * | `CARTERO_RETRY_SCHEDULE` [1m,5m,15m,30m,1h,2h] | delays between attempts of a deferred recipient, the last repeating |
 * | `CARTERO_MAX_QUEUE_AGE` [5d] | give up (and bounce) a recipient still deferred at this age |
 * | `CARTERO_DELIVERY_CHUNKING` [auto] | `auto`: send by BDAT to a next hop that offers CHUNKING (RFC 3030); `off`: always DATA |
 *
 * A malformed value fails the layer with a `ConfigError` whose message is the shared `Setting` wording
 * (`CARTERO_OUTBOUND_PORT: expected a port 1-65535, got "abc"`).
 *
 * Static routes carry no credentials in their text form: a password inside a comma-separated list would need
 * quoting (`,`, `=`, `:` and `@` are all legal in passwords) and would turn the whole list into a secret. Routes that
 * must authenticate are built in code (`StaticRoutes.make({ domains: { "example.org": { host, port, auth } } })` in
 * `DeliveryConfig.layer`) or returned by a `route` hook (`OutboundHooks.relay({ host, auth })`).
 *
 * @since 0.1.0
 */
import { Setting } from "@cartero/settings"
import { HopCount } from "@cartero/smtp"
import { Config, ConfigProvider, Context, Duration, Effect, Layer, Option, Redacted } from "effect"
import { readFileSync } from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as Auth from "./Auth.ts"
import type { Relay } from "./Route.ts"
import * as RetryPolicy from "./RetryPolicy.ts"
import * as StaticRoutes from "./StaticRoutes.ts"
import * as TlsPolicy from "./TlsPolicy.ts"

/** The settings. */
export interface Settings {
  /** Our host name (EHLO, loop detection, `Reporting-MTA`, `MAILER-DAEMON@` of bounces). */
  readonly hostname: string
  /** Names that are us besides {@link hostname} (lower case). */
  readonly selfNames: ReadonlyArray<string>
  /** Addresses that are us: an MX resolving to one of them is a loop. */
  readonly selfAddresses: ReadonlyArray<string>
  /**
   * The sockets our listeners are bound to (the app fills them in from the server, see `layerConfigWith`): a next
   * hop at one of them, static route and smarthost included, is a loop. A wildcard address (`0.0.0.0`, `::`)
   * stands for every address of this machine's interfaces.
   */
  readonly selfEndpoints: ReadonlyArray<Endpoint>
  /** Most `Received:` fields a queued message may carry; more is a loop, bounced rather than sent (RFC 5321 §6.3). */
  readonly maxHops: number
  /** Destination port for MX and implicit-MX routes (and relays without a port). */
  readonly port: number
  readonly staticRoutes: StaticRoutes.StaticRoutes
  /** STARTTLS policy for MX delivery; `required` verifies the certificate against the MX name. */
  readonly tls: TlsPolicy.TlsMode
  /** Address family tried first for each host. */
  readonly addressPreference: "ipv6" | "ipv4"
  /** Most addresses tried per delivery attempt, over all hosts (Postfix `smtp_mx_address_limit`-like). */
  readonly maxAddresses: number
  readonly workers: number
  readonly destinationConcurrency: number
  /** Minimum time between the starts of two deliveries to one domain (0 = none). */
  readonly destinationRateDelay: Duration.Duration
  readonly maxConnections: number
  /** Lease per claim; renewed every third of it while a delivery runs. */
  readonly lease: Duration.Duration
  /** On shutdown, how long in-flight deliveries may take before they are interrupted (their leases then expire). */
  readonly shutdownTimeout: Duration.Duration
  /** When a deferred recipient is tried again, and when it is given up (and bounced). */
  readonly retry: RetryPolicy.RetryPolicy
  /** BDAT to next hops that offer CHUNKING (`auto`), or always DATA (`off`). */
  readonly chunking: "auto" | "off"
}

/** A bound socket: an IP address (or a wildcard) and a port. */
export interface Endpoint {
  readonly address: string
  readonly port: number
}

/** Defaults (Postfix-like limits, port 25, opportunistic TLS, no static routes, no loop addresses). */
export const defaults: Settings = {
  hostname: os.hostname().toLowerCase(),
  selfNames: [],
  selfAddresses: [],
  selfEndpoints: [],
  maxHops: HopCount.defaultLimit,
  port: 25,
  staticRoutes: StaticRoutes.empty,
  tls: "opportunistic",
  addressPreference: "ipv6",
  maxAddresses: 10,
  workers: 50,
  destinationConcurrency: 20,
  destinationRateDelay: Duration.zero,
  maxConnections: 100,
  lease: Duration.minutes(5),
  shutdownTimeout: Duration.seconds(10),
  retry: RetryPolicy.defaultPolicy,
  chunking: "auto"
}

/** Delivery settings. */
export class DeliveryConfig extends Context.Service<DeliveryConfig, Settings>()("@cartero/delivery/DeliveryConfig") {
  /** The defaults with `overrides` applied. */
  static readonly layer = (overrides: Partial<Settings> = {}): Layer.Layer<DeliveryConfig> =>
    Layer.succeed(DeliveryConfig, DeliveryConfig.of({ ...defaults, ...overrides }))

  /**
   * From `Config`, with what only the running app knows merged in: the endpoints its listeners are bound to and the
   * names they answer to (the reference app passes `SmtpServer.listeners`), so that loop detection needs no setting.
   */
  static readonly layerConfigWith = <R>(
    self: Effect.Effect<{ readonly endpoints?: ReadonlyArray<Endpoint>; readonly names?: ReadonlyArray<string> }, never, R>
  ): Layer.Layer<DeliveryConfig, Config.ConfigError, R> => Layer.effect(
    DeliveryConfig,
    Effect.gen(function*() {
      const configured = yield* config
      const known = yield* self
      const settings: Settings = {
        ...configured,
        selfEndpoints: [...configured.selfEndpoints, ...(known.endpoints ?? [])],
        selfNames: [...new Set([...configured.selfNames, ...(known.names ?? []).map((n) => n.toLowerCase())])]
      }
      if (settings.staticRoutes.smarthost?.auth?.allowUnverifiedPeer === true) {
        yield* Effect.logWarning(
          "CARTERO_SMARTHOST_PASSWORD_TO_UNVERIFIED_PEER is on: the smarthost password goes to whatever server answers " +
            "for it, even one whose certificate does not verify (a man-in-the-middle's)"
        )
      }
      return DeliveryConfig.of(settings)
    })
  )

  /** From `Config` (environment variables by default); see the module documentation. */
  static readonly layerConfig: Layer.Layer<DeliveryConfig, Config.ConfigError> = DeliveryConfig.layerConfigWith(Effect.succeed({}))
}

/** A PEM file's contents, or `undefined` when it cannot be read or holds no certificate. */
const readPem = (path: string): string | undefined => {
  try {
    const text = readFileSync(path.trim(), "utf8")
    return text.includes("-----BEGIN CERTIFICATE-----") ? text : undefined
  } catch {
    return undefined
  }
}

const names = (s: string): ReadonlyArray<string> => Setting.list(s).map((x) => x.toLowerCase())
const addresses = (s: string): ReadonlyArray<string> | undefined => {
  const out = names(s)
  return out.every((a) => net.isIP(a) !== 0) ? out : undefined
}

/** The settings read from `Config`. */
export const config: Config.Config<Settings> = Config.all({
  hostname: Setting.config("CARTERO_HOSTNAME", "a host name", (s) => (s.trim() === "" ? undefined : s.trim().toLowerCase())).pipe(
    Config.withDefault(defaults.hostname)
  ),
  selfNames: Setting.config("CARTERO_SELF_NAMES", "host names, comma separated", names).pipe(Config.withDefault(defaults.selfNames)),
  selfAddresses: Setting.config("CARTERO_SELF_ADDRESSES", "IP addresses, comma separated", addresses).pipe(
    Config.withDefault(defaults.selfAddresses)
  ),
  maxHops: Setting.config("CARTERO_MAX_HOPS", "an integer 1-1000", Setting.int(1, 1000)).pipe(Config.withDefault(defaults.maxHops)),
  port: Setting.config("CARTERO_OUTBOUND_PORT", "a port 1-65535", Setting.int(1, 65535)).pipe(Config.withDefault(defaults.port)),
  smarthost: Config.option(Setting.config("CARTERO_SMARTHOST", "host[:port] or [ip]:port", StaticRoutes.parseRelay)),
  smarthostUser: Config.option(Config.String("CARTERO_SMARTHOST_USER")),
  smarthostPassword: Config.option(Config.Redacted("CARTERO_SMARTHOST_PASSWORD")),
  smarthostCa: Config.option(Setting.config("CARTERO_SMARTHOST_CA", "a readable PEM file", readPem)),
  smarthostUnverified: Setting.config("CARTERO_SMARTHOST_PASSWORD_TO_UNVERIFIED_PEER", "true or false", Setting.boolean).pipe(
    Config.withDefault(false)
  ),
  domains: Setting.config("CARTERO_STATIC_ROUTES", "domain=host[:port],...", StaticRoutes.parseDomains).pipe(
    Config.withDefault(new Map<string, Relay>() as ReadonlyMap<string, Relay>)
  ),
  tls: Setting.config("CARTERO_OUTBOUND_TLS", "none, opportunistic or required", Setting.oneOf(["none", "opportunistic", "required"])).pipe(
    Config.withDefault(defaults.tls)
  ),
  addressPreference: Setting.config("CARTERO_OUTBOUND_ADDRESS_PREFERENCE", "ipv6 or ipv4", Setting.oneOf(["ipv6", "ipv4"])).pipe(
    Config.withDefault(defaults.addressPreference)
  ),
  workers: Setting.config("CARTERO_DELIVERY_WORKERS", "an integer 0-10000", Setting.int(0, 10_000)).pipe(Config.withDefault(defaults.workers)),
  destinationConcurrency: Setting.config("CARTERO_DESTINATION_CONCURRENCY", "an integer 1-10000", Setting.int(1, 10_000)).pipe(
    Config.withDefault(defaults.destinationConcurrency)
  ),
  destinationRateDelay: Setting.config("CARTERO_DESTINATION_RATE_DELAY", "a duration like 500ms or 1s", Setting.duration).pipe(
    Config.withDefault(defaults.destinationRateDelay)
  ),
  maxConnections: Setting.config("CARTERO_MAX_CONNECTIONS", "an integer 1-100000", Setting.int(1, 100_000)).pipe(
    Config.withDefault(defaults.maxConnections)
  ),
  shutdownTimeout: Setting.config("CARTERO_SHUTDOWN_TIMEOUT", "a duration like 30s", Setting.duration).pipe(
    Config.withDefault(defaults.shutdownTimeout)
  ),
  retry: RetryPolicy.config,
  chunking: Setting.config("CARTERO_DELIVERY_CHUNKING", "auto or off", Setting.oneOf(["auto", "off"])).pipe(
    Config.withDefault(defaults.chunking)
  )
}).pipe(Config.mapEffect(({ domains, smarthost, smarthostCa, smarthostPassword, smarthostUnverified, smarthostUser, ...rest }) => {
  // Empty values count as unset (docs/configuration.md), for the password too.
  const user = Option.getOrUndefined(smarthostUser)?.trim() || undefined
  const password = Option.getOrUndefined(Option.filter(smarthostPassword, (p) => Redacted.value(p) !== ""))
  const relay = Option.getOrUndefined(smarthost)
  const problem = (user === undefined) !== (password === undefined)
    ? `${user === undefined ? "CARTERO_SMARTHOST_USER" : "CARTERO_SMARTHOST_PASSWORD"}: expected together with ${
      user === undefined ? "CARTERO_SMARTHOST_PASSWORD" : "CARTERO_SMARTHOST_USER"
    } (smarthost credentials need both)`
    : user !== undefined && relay === undefined
    ? "CARTERO_SMARTHOST_USER: credentials given but CARTERO_SMARTHOST is not set"
    : Option.isSome(smarthostCa) && relay === undefined
    ? "CARTERO_SMARTHOST_CA: given but CARTERO_SMARTHOST is not set"
    : undefined
  if (problem !== undefined) return Effect.fail(new Config.ConfigError(new ConfigProvider.SourceError({ message: problem })))
  const auth = user !== undefined && password !== undefined ? Auth.make(user, password, { allowUnverifiedPeer: smarthostUnverified }) : undefined
  // The smarthost is verified against its own CAs when given (its certificate is checked before AUTH either way).
  const ca = Option.getOrUndefined(smarthostCa)
  const tls: TlsPolicy.TlsPolicy | undefined = ca === undefined ? undefined : TlsPolicy.make(rest.tls, { verify: rest.tls === "required", ca })
  const settings: Settings = {
    ...defaults,
    ...rest,
    staticRoutes: StaticRoutes.make({
      smarthost: relay === undefined ? undefined : { ...relay, ...(auth === undefined ? {} : { auth }), ...(tls === undefined ? {} : { tls }) },
      domains
    })
  }
  return Effect.succeed(settings)
}))

/** Whether `name` is one of our names. */
export const isSelfName = (settings: Settings, name: string): boolean => {
  const n = name.toLowerCase().replace(/\.$/, "")
  return n === settings.hostname || settings.selfNames.includes(n)
}

/** Whether `address` is one of our addresses. */
export const isSelfAddress = (settings: Settings, address: string): boolean => settings.selfAddresses.includes(address.toLowerCase())

const wildcards: ReadonlySet<string> = new Set(["0.0.0.0", "::", "::0"])

let interfaceAddresses: ReadonlySet<string> | undefined

/**
 * The addresses of this machine's interfaces (loopback included), read once per process: routing asks per message,
 * and `os.networkInterfaces()` is a system call that builds a fresh object each time.
 */
const localAddresses = (): ReadonlySet<string> => {
  if (interfaceAddresses !== undefined) return interfaceAddresses
  const out = new Set<string>()
  for (const list of Object.values(os.networkInterfaces())) {
    for (const i of list ?? []) out.add(i.address.toLowerCase())
  }
  interfaceAddresses = out
  return out
}

const unmapped = (address: string): string => {
  const a = address.toLowerCase()
  return a.startsWith("::ffff:") && net.isIPv4(a.slice(7)) ? a.slice(7) : a
}

/**
 * Whether `address:port` is one of our listeners: bound there, or bound to a wildcard of the address's family
 * (`::` also takes IPv4, as Node's dual-stack sockets do) and `address` is an address of this machine. Loopback
 * addresses other than the interfaces' own (127.0.0.2 …) count as local, as the kernel delivers them to us.
 */
export const isSelfEndpoint = (settings: Settings, address: string, port: number): boolean => {
  if (settings.selfEndpoints.length === 0) return false
  const a = unmapped(address)
  const isLocal = () => localAddresses().has(a) || a.startsWith("127.") || a === "::1"
  return settings.selfEndpoints.some((e) => {
    if (e.port !== port) return false
    const bound = unmapped(e.address)
    if (bound === a) return true
    if (!wildcards.has(bound)) return false
    if (bound === "0.0.0.0" && !net.isIPv4(a)) return false
    return isLocal()
  })
}

/**
 * The TLS policy for a hop without its own, under the configured mode. No `servername`: the worker passes the MX
 * name as the request's `host` (and the IP as `address`), and the client sends and verifies that name.
 */
export const tlsFor = (settings: Settings): TlsPolicy.TlsPolicy => ({
  mode: settings.tls,
  verify: settings.tls === "required"
})
