/**
 * The `Dns` service: the lookups an MTA needs (MX, A, AAAA, TXT, PTR) over `dns2`, with typed outcomes, retries and
 * a TTL-respecting cache.
 *
 * - **Transport.** UDP to each nameserver; an answer with TC set is retried over TCP on the same host and port
 *   (dns2's `retryOverTCP`). Nameservers are asked in order, like resolv.conf: a temporary failure (timeout,
 *   SERVFAIL, REFUSED) moves on to the next; an answer (records, NXDOMAIN, NODATA) ends the round.
 * - **Retries.** When a whole round fails temporarily, it is re-run on the `retry` Schedule (default: twice more,
 *   100 ms then 200 ms apart). Permanent outcomes are never retried.
 * - **Outcomes.** Records on success; otherwise a {@link DnsError.DnsError} whose `reason` says whether to retry
 *   later (`ServFail`, `Refused`, `Timeout`) or give up (`NxDomain`, `NoData`, `InvalidQuery`).
 * - **Cache.** Positive answers for their smallest TTL, NXDOMAIN/NODATA for the SOA negative TTL (RFC 2308),
 *   temporary failures never; bounded, least recently used entries evicted first. Time comes from Effect's Clock.
 *
 * Configuration: {@link Dns.layer} with options, or {@link Dns.layerConfig} reading `CARTERO_DNS_SERVERS`
 * (`127.0.0.1:5353`, `[::1]:53`, or a comma list), `CARTERO_DNS_TIMEOUT` and `CARTERO_DNS_CACHE_SIZE`.
 *
 * @since 0.1.0
 */
import { Setting } from "@cartero/settings"
import DNS from "dns2"
import { Clock, Config, Context, Duration, Effect, Layer, Schedule } from "effect"
import * as net from "node:net"
import * as DnsCache from "./DnsCache.ts"
import * as DnsMetrics from "./DnsMetrics.ts"
import * as DnsError from "./DnsError.ts"
import * as MemoryDns from "./MemoryDns.ts"
import * as Mx from "./Mx.ts"
import * as Names from "./Names.ts"
import * as Nameserver from "./Nameserver.ts"

const { Packet } = DNS

/** Settings for {@link Dns.layer}. */
export interface Options {
  /** Servers to ask, in order: `{ host, port }` or `"host:port"` strings. */
  readonly nameservers: ReadonlyArray<Nameserver.Nameserver | string>
  /** Bound on one query to one server. Default 2 seconds. */
  readonly timeout?: Duration.Input
  /** When to re-run a round that failed temporarily. Default: 2 retries, exponential from 100 ms. */
  readonly retry?: Schedule.Schedule<unknown, DnsError.DnsError>
  /** Most cached answers; 0 disables the cache. Default 10 000. */
  readonly cacheSize?: number
  /** Longest time anything is cached, whatever its TTL. Default 1 day. */
  readonly maxTtl?: Duration.Input
  /** Retry truncated UDP answers over TCP. Default true. */
  readonly tcpFallback?: boolean
}

/** The lookups. Names are ASCII (A-labels); case and a trailing dot do not matter. */
export interface Service {
  /** MX records sorted by preference. `Mx.isNullMx` recognises RFC 7505's "no mail here". NODATA fails with `NoData`. */
  readonly mx: (domain: string) => Effect.Effect<ReadonlyArray<Mx.Mx>, DnsError.DnsError>
  /** IPv4 addresses. */
  readonly a: (name: string) => Effect.Effect<ReadonlyArray<string>, DnsError.DnsError>
  /** IPv6 addresses. */
  readonly aaaa: (name: string) => Effect.Effect<ReadonlyArray<string>, DnsError.DnsError>
  /** TXT records, each with its character-strings joined (RFC 7208 §3.3: SPF is read that way). */
  readonly txt: (name: string) => Effect.Effect<ReadonlyArray<string>, DnsError.DnsError>
  /** Names for an IP address (the reverse name is built here); `InvalidQuery` if `ip` is not an address. */
  readonly ptr: (ip: string) => Effect.Effect<ReadonlyArray<string>, DnsError.DnsError>
  /** Forgets every cached answer. */
  readonly clearCache: Effect.Effect<void>
}

type RecordType = DnsMetrics.RecordType

/** A cacheable outcome: the matching records, or an authoritative negative answer. */
type Outcome =
  | { readonly _tag: "Records"; readonly records: ReadonlyArray<DNS.Packet.Resource> }
  | { readonly _tag: "Negative"; readonly error: DnsError.DnsError }

/** The Dns service. */
export class Dns extends Context.Service<Dns, Service>()("@cartero/dns/Dns") {
  /** A resolver with the given settings. Fails if a nameserver string is malformed. */
  static readonly layer = (options: Options): Layer.Layer<Dns, Nameserver.NameserverError> => Layer.effect(Dns, make(options))

  /** An in-memory resolver over test zones (no sockets; see {@link MemoryDns}). For code that only uses DNS. */
  static readonly layerTest = (zones: MemoryDns.Zones): Layer.Layer<Dns> => Layer.succeed(Dns, Dns.of(MemoryDns.make(zones)))

  /** A resolver configured from `CARTERO_DNS_SERVERS` (default `127.0.0.1:53`), `CARTERO_DNS_TIMEOUT`, `CARTERO_DNS_CACHE_SIZE`. */
  static readonly layerConfig: Layer.Layer<Dns, Config.ConfigError | Nameserver.NameserverError> = Layer.unwrap(
    Effect.gen(function*() {
      // A local caching resolver is the expected setup for an MTA (as for Postfix), hence the default.
      const servers = yield* Config.String("CARTERO_DNS_SERVERS").pipe(Config.withDefault("127.0.0.1:53"))
      const timeout = yield* Setting.config("CARTERO_DNS_TIMEOUT", "a duration such as 5s", Setting.duration).pipe(
        Config.withDefault(Duration.seconds(2))
      )
      const cacheSize = yield* Setting.config("CARTERO_DNS_CACHE_SIZE", "an integer 0-10000000", Setting.int(0, 10_000_000)).pipe(
        Config.withDefault(10_000)
      )
      const nameservers = Nameserver.parseList(servers)
      if (nameservers instanceof Nameserver.NameserverError) return yield* nameservers
      return Dns.layer({ nameservers, timeout, cacheSize })
    })
  )
}

const defaultRetry: Schedule.Schedule<unknown, DnsError.DnsError> = Schedule.exponential("100 millis").pipe(
  Schedule.upTo({ times: 2 })
)

const rcodeName = (rcode: number): string => Object.entries(Packet.RCODE).find(([, v]) => v === rcode)?.[0] ?? `RCODE${rcode}`

/** Negative-answer TTL from the SOA in the authority section (RFC 2308 §5); 0 (do not cache) without one. */
const negativeTtl = (packet: DNS.Packet): number => {
  const soa = packet.authorities.find((r) => r.type === Packet.TYPE.SOA)
  return soa === undefined ? 0 : Math.min(soa.ttl, soa.minimum ?? soa.ttl)
}

const txtData = (data: DNS.Packet.Resource["data"]): string =>
  data === undefined ? "" : typeof data === "string" ? data : Buffer.isBuffer(data) ? data.toString("utf8") : data.join("")

/** Builds the service (the cache lives as long as it). */
export const make: (options: Options) => Effect.Effect<Service, Nameserver.NameserverError> = Effect.fn("Dns.make")(
  function*(options: Options) {
    const nameservers: Array<Nameserver.Nameserver> = []
    for (const ns of options.nameservers) {
      const parsed = typeof ns === "string" ? Nameserver.parse(ns) : ns
      if (parsed instanceof Nameserver.NameserverError) return yield* parsed
      nameservers.push(parsed)
    }
    if (nameservers.length === 0) return yield* new Nameserver.NameserverError({ input: "", detail: "no nameserver given" })
    const timeoutMs = Math.max(1, Math.round(Duration.toMillis(options.timeout ?? "2 seconds")))
    const retry = options.retry ?? defaultRetry
    const tcpFallback = options.tcpFallback ?? true
    const cache = DnsCache.make<Outcome>({
      capacity: options.cacheSize ?? 10_000,
      maxTtl: Duration.toSeconds(options.maxTtl ?? "1 day")
    })

    const metrics = new DnsMetrics.Recorder(yield* Effect.context<never>())
    metrics.register()

    const fail = (name: string, type: string, reason: DnsError.Reason, detail: string) =>
      new DnsError.DnsError({ name, type, reason, detail })

    // One question to one server. dns2 enforces the UDP timeout and closes its socket; the outer timeout also
    // covers the TCP fallback, which has none of its own.
    const queryOne = (ns: Nameserver.Nameserver, name: string, type: RecordType) =>
      Effect.tryPromise({
        try: () => {
          metrics.query(type)
          return DNS.UDPClient({
            dns: ns.host,
            port: ns.port,
            timeout: timeoutMs,
            retryOverTCP: tcpFallback,
            socketType: net.isIPv6(ns.host) ? "udp6" : "udp4"
          })(name, type)
        },
        catch: (e) => fail(name, type, "Timeout", `${Nameserver.format(ns)}: ${e instanceof Error ? e.message : String(e)}`)
      }).pipe(
        Effect.timeoutOrElse({
          duration: Duration.millis(timeoutMs + 50),
          orElse: () => Effect.fail(fail(name, type, "Timeout", `${Nameserver.format(ns)}: no answer in ${timeoutMs} ms`))
        }),
        Effect.flatMap((packet) => {
          const rcode = packet.header.rcode
          if (rcode === Packet.RCODE.NOERROR || rcode === Packet.RCODE.NXDOMAIN) return Effect.succeed(packet)
          const reason = rcode === Packet.RCODE.REFUSED ? "Refused" : "ServFail"
          return Effect.fail(fail(name, type, reason, `${Nameserver.format(ns)} answered ${rcodeName(rcode)}`))
        }),
        Effect.tapError(() => Effect.sync(() => metrics.queryFailed(type)))
      )

    // One round over the servers in order; the first answer wins, the last temporary failure is reported.
    const round = (name: string, type: RecordType) =>
      Effect.gen(function*() {
        let last: DnsError.DnsError | undefined
        for (const ns of nameservers) {
          const result = yield* Effect.result(queryOne(ns, name, type))
          if (result._tag === "Success") return result.success
          last = result.failure
        }
        return yield* (last ?? fail(name, type, "Timeout", "no nameserver"))
      })

    const lookup = Effect.fnUntraced(function*(rawName: string, type: RecordType) {
      const name = Names.normalize(rawName)
      const key = `${type} ${name}`
      const cached = cache.get(key, yield* Clock.currentTimeMillis)
      metrics.lookup(type, cached !== undefined)
      const outcome: Outcome = cached ?? (yield* Effect.gen(function*() {
        const packet = yield* round(name, type).pipe(Effect.retry({ schedule: retry, while: DnsError.isTemporary }))
        const records = packet.answers.filter((r) => r.type === Packet.TYPE[type])
        const fresh: Outcome = packet.header.rcode === Packet.RCODE.NXDOMAIN
          ? { _tag: "Negative", error: fail(name, type, "NxDomain", "the name does not exist") }
          : records.length === 0
          ? { _tag: "Negative", error: fail(name, type, "NoData", `the name has no ${type} records`) }
          : { _tag: "Records", records }
        const ttl = fresh._tag === "Records" ? Math.min(...records.map((r) => r.ttl)) : negativeTtl(packet)
        cache.set(key, fresh, ttl, yield* Clock.currentTimeMillis)
        return fresh
      }))
      if (outcome._tag === "Negative") return yield* outcome.error
      return outcome.records
    })

    return Dns.of({
      mx: Effect.fn("Dns.mx")(function*(domain: string) {
        const records = yield* lookup(domain, "MX")
        return Mx.sort(records.map((r) => ({ exchange: Names.normalize(r.exchange ?? ""), preference: r.priority ?? 0, ttl: r.ttl })))
      }),
      a: Effect.fn("Dns.a")(function*(name: string) {
        return (yield* lookup(name, "A")).flatMap((r) => (r.address === undefined ? [] : [r.address]))
      }),
      aaaa: Effect.fn("Dns.aaaa")(function*(name: string) {
        return (yield* lookup(name, "AAAA")).flatMap((r) => (r.address === undefined ? [] : [r.address]))
      }),
      txt: Effect.fn("Dns.txt")(function*(name: string) {
        return (yield* lookup(name, "TXT")).map((r) => txtData(r.data))
      }),
      ptr: Effect.fn("Dns.ptr")(function*(ip: string) {
        const name = Names.reverseName(ip)
        if (name === undefined) return yield* fail(ip, "PTR", "InvalidQuery", "not an IP address")
        return (yield* lookup(name, "PTR")).map((r) => Names.normalize(r.domain ?? ""))
      }),
      clearCache: Effect.sync(() => cache.clear())
    })
  }
)
