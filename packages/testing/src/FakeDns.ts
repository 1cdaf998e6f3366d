/**
 * A real DNS server (dns2) on loopback serving zones declared in the test, so code under test does real UDP/TCP
 * DNS instead of talking to a mock. UDP and TCP listen on the same port, because a resolver retries a truncated
 * (TC) UDP answer over TCP on the port it already uses.
 *
 * ```ts
 * FakeDns.layer({
 *   "example.test": { MX: [{ priority: 10, exchange: "mx1.example.test" }], TXT: ["v=spf1 -all"] },
 *   "mx1.example.test": { A: ["127.0.0.1"], AAAA: ["::1"] },
 *   "1.0.0.127.in-addr.arpa": { PTR: ["mx1.example.test"] },
 *   "broken.test": { fail: "SERVFAIL" },
 *   "slow.test": { fail: "TIMEOUT", failTimes: 1, A: ["127.0.0.2"] }   // first query unanswered, then answers
 * })
 * ```
 *
 * A `CNAME` name answers other types with the alias and, if the target is served here, the target's records.
 *
 * Answers: a name absent from the zones gets NXDOMAIN; a present name without records of the asked type gets
 * NODATA (NOERROR, no answers). Both carry an SOA in the authority section whose TTL/minimum is `negativeTtl`, as
 * RFC 2308 negative caching expects. Every query is logged (name, type, transport) so tests can count them.
 *
 * @since 0.1.0
 */
import DNS from "dns2"
import { Context, Data, Effect, Layer, type Scope } from "effect"
import * as net from "node:net"

const { Packet } = DNS

/** Records and behaviour of one name. Names are case-insensitive; a trailing dot is ignored. */
export interface Zone {
  readonly MX?: ReadonlyArray<{ readonly priority: number; readonly exchange: string }>
  readonly A?: ReadonlyArray<string>
  readonly AAAA?: ReadonlyArray<string>
  /** One string per record; a string longer than 255 octets is split into character-strings; an array is taken as the chunks. */
  readonly TXT?: ReadonlyArray<string | ReadonlyArray<string>>
  readonly PTR?: ReadonlyArray<string>
  /** An alias: queries of any other type are answered with this CNAME plus the target's records (if served here). */
  readonly CNAME?: string
  /** TTL of every record of this name, seconds. Default 300. */
  readonly ttl?: number
  /** Answer SERVFAIL or REFUSED, or never answer (TIMEOUT), instead of the records. */
  readonly fail?: "SERVFAIL" | "REFUSED" | "TIMEOUT"
  /** Misbehave for this many queries only, then answer normally. Default: always. */
  readonly failTimes?: number
  /** Answer UDP queries with an empty TC (truncated) reply, forcing the client over to TCP. */
  readonly truncateUdp?: boolean
}

/** Zones by name. */
export type Zones = Readonly<Record<string, Zone>>

/** One query as received. */
export interface Query {
  readonly name: string
  /** Record type name, e.g. `MX`. */
  readonly type: string
  readonly transport: "udp" | "tcp"
}

/** The server could not be started. */
export class FakeDnsError extends Data.TaggedError("FakeDnsError")<{ readonly detail: string }> {
  override get message(): string {
    return `FakeDns: ${this.detail}`
  }
}

/** Options beyond the zones. */
export interface Options {
  /** Negative-answer TTL advertised in the SOA (RFC 2308), seconds. Default 60. */
  readonly negativeTtl?: number
  /** Listen on this port (UDP and TCP) instead of a free one; for a standalone server (`scenario-dns`). */
  readonly port?: number
}

/** The running server. */
export interface Service {
  readonly host: string
  readonly port: number
  /** `host:port`, the form `CARTERO_DNS_SERVERS` takes. */
  readonly nameserver: string
  /** Replaces all zones (failure counters restart). */
  readonly setZones: (zones: Zones) => Effect.Effect<void>
  /** Sets (or with `undefined` removes) one name. */
  readonly setZone: (name: string, zone: Zone | undefined) => Effect.Effect<void>
  /** Every query received so far, oldest first. */
  readonly queries: Effect.Effect<ReadonlyArray<Query>>
  /** How many queries matched the filter (all, by name, by type, by transport). */
  readonly queryCount: (filter?: Partial<Query>) => Effect.Effect<number>
  /** Forgets the query log. */
  readonly clearQueries: Effect.Effect<void>
}

/** The FakeDns service. */
export class FakeDns extends Context.Service<FakeDns, Service>()("@cartero/testing/FakeDns") {
  /** A server for the layer's lifetime, serving `zones`. */
  static readonly layer = (zones: Zones, options?: Options): Layer.Layer<FakeDns, FakeDnsError> =>
    Layer.effect(FakeDns, make(zones, options))
}

const normalize = (name: string): string => name.toLowerCase().replace(/\.$/, "")

// DNS character-strings hold at most 255 octets (RFC 1035 §3.3); long SPF/DKIM records are several of them.
const chunks = (txt: string | ReadonlyArray<string>): Array<string> => {
  if (typeof txt !== "string") return [...txt]
  const out: Array<string> = []
  for (let i = 0; i < txt.length; i += 255) out.push(txt.slice(i, i + 255))
  return out.length === 0 ? [""] : out
}

const records = (question: DNS.Packet.Question, zone: Zone): Array<DNS.Packet.Resource> => {
  const ttl = zone.ttl ?? 300
  const make = (fields: Partial<DNS.Packet.Resource>) => Packet.createResourceFromQuestion(question, { ttl, ...fields })
  switch (question.type) {
    case Packet.TYPE.MX:
      return (zone.MX ?? []).map((mx) => make({ priority: mx.priority, exchange: mx.exchange }))
    case Packet.TYPE.A:
      return (zone.A ?? []).map((address) => make({ address }))
    case Packet.TYPE.AAAA:
      return (zone.AAAA ?? []).map((address) => make({ address }))
    case Packet.TYPE.TXT:
      return (zone.TXT ?? []).map((txt) => make({ data: chunks(txt) }))
    case Packet.TYPE.PTR:
      return (zone.PTR ?? []).map((domain) => make({ domain }))
    case Packet.TYPE.CNAME:
      return zone.CNAME === undefined ? [] : [make({ domain: zone.CNAME })]
    default:
      return []
  }
}

const listenUdp = (socket: DNS.UDPServer, port: number) =>
  Effect.callback<number, FakeDnsError>((resume) => {
    socket.once("error", (e) => resume(Effect.fail(new FakeDnsError({ detail: `udp bind: ${e.message}` }))))
    socket.bind(port, "127.0.0.1", () => resume(Effect.succeed(socket.address().port)))
  })

const listenTcp = (server: DNS.TCPServer, port: number) =>
  Effect.callback<boolean, FakeDnsError>((resume) => {
    const onError = (e: NodeJS.ErrnoException) =>
      resume(e.code === "EADDRINUSE" ? Effect.succeed(false) : Effect.fail(new FakeDnsError({ detail: `tcp listen: ${e.message}` })))
    server.once("error", onError)
    server.listen(port, "127.0.0.1", () => {
      server.off("error", onError)
      resume(Effect.succeed(true))
    })
  })

/** Starts a server for the enclosing scope. */
export const make: (zones: Zones, options?: Options) => Effect.Effect<Service, FakeDnsError, Scope.Scope> = Effect.fn(
  "FakeDns.make"
)(function*(initial: Zones, options?: Options) {
  let zones = new Map<string, Zone>()
  let failures = new Map<string, number>()
  const log: Array<Query> = []
  const negativeTtl = options?.negativeTtl ?? 60
  const setAll = (next: Zones) => {
    zones = new Map(Object.entries(next).map(([name, zone]) => [normalize(name), zone]))
    failures = new Map()
  }
  setAll(initial)

  const handle = (transport: "udp" | "tcp"): DNS.DnsHandler => (request, send) => {
    const question = request.questions[0]
    if (question === undefined) return
    const name = normalize(question.name)
    log.push({ name, type: Packet.typeName(question.type), transport })
    const reply = (packet: DNS.Packet | Buffer) => void send(packet).catch(() => undefined)
    const response = Packet.createResponseFromRequest(request)
    response.header.aa = 1
    const zone = zones.get(name)
    if (zone?.fail !== undefined) {
      const seen = failures.get(name) ?? 0
      if (zone.failTimes === undefined || seen < zone.failTimes) {
        failures.set(name, seen + 1)
        if (zone.fail === "TIMEOUT") return
        response.header.rcode = zone.fail === "SERVFAIL" ? Packet.RCODE.SERVFAIL : Packet.RCODE.REFUSED
        return reply(response)
      }
    }
    if (zone?.truncateUdp === true && transport === "udp") {
      const buffer = response.toBuffer()
      // The TC flag is bit 1 of the third header octet (RFC 1035 §4.1.1).
      buffer[2] = (buffer[2] ?? 0) | 0x02
      return reply(buffer)
    }
    const answers = zone === undefined ? [] : records(question, zone)
    if (zone?.CNAME !== undefined && question.type !== Packet.TYPE.CNAME) {
      // One level of aliasing is enough for tests; the resolver sees the chain as a recursive server would send it.
      const target = zones.get(normalize(zone.CNAME))
      answers.push(Packet.createResourceFromQuestion(question, { type: Packet.TYPE.CNAME, ttl: zone.ttl ?? 300, domain: zone.CNAME }))
      if (target !== undefined) {
        answers.push(...records({ ...question, name: zone.CNAME }, target))
      }
    }
    if (zone === undefined) response.header.rcode = Packet.RCODE.NXDOMAIN
    if (answers.length === 0) {
      response.authorities.push(
        new Packet.Resource({
          name: name.split(".").slice(-1)[0] ?? name,
          type: Packet.TYPE.SOA,
          class: Packet.CLASS.IN,
          ttl: negativeTtl,
          primary: "ns.fake.test",
          admin: "hostmaster.fake.test",
          serial: 1,
          refresh: 3600,
          retry: 600,
          expiration: 86400,
          minimum: negativeTtl
        })
      )
    }
    response.answers.push(...answers)
    reply(response)
  }

  // Bind UDP on an ephemeral port, then TCP on the same number; another process may hold that TCP port, so retry.
  let bound: { udp: DNS.UDPServer; tcp: DNS.TCPServer; port: number } | undefined
  const tries = options?.port === undefined ? 20 : 1
  for (let attempt = 0; attempt < tries && bound === undefined; attempt++) {
    const udp = DNS.createUDPServer(handle("udp"))
    const tcp = DNS.createTCPServer(handle("tcp"))
    const port = yield* listenUdp(udp, options?.port ?? 0)
    if (yield* listenTcp(tcp, port)) bound = { udp, tcp, port }
    else udp.close()
  }
  if (bound === undefined) return yield* new FakeDnsError({ detail: `no port free for both UDP and TCP after ${tries} ${tries === 1 ? "try" : "tries"}` })
  const { udp, tcp, port } = bound

  // Unanswered TCP queries would hold connections open, and server.close() waits for them: track and destroy.
  const connections = new Set<net.Socket>()
  tcp.on("connection", (socket: net.Socket) => {
    connections.add(socket)
    socket.on("close", () => connections.delete(socket))
  })
  udp.on("error", () => undefined)
  tcp.on("error", () => undefined)
  yield* Effect.addFinalizer(() =>
    Effect.callback<void>((resume) => {
      let pending = 2
      const done = () => {
        if (--pending === 0) resume(Effect.void)
      }
      udp.close(done)
      tcp.close(done)
      for (const c of connections) c.destroy()
    })
  )

  const matchesFilter = (q: Query, f: Partial<Query>) =>
    (f.name === undefined || normalize(f.name) === q.name) &&
    (f.type === undefined || f.type.toUpperCase() === q.type) &&
    (f.transport === undefined || f.transport === q.transport)

  return FakeDns.of({
    host: "127.0.0.1",
    port,
    nameserver: `127.0.0.1:${port}`,
    setZones: (next) => Effect.sync(() => setAll(next)),
    setZone: (name, zone) =>
      Effect.sync(() => {
        const key = normalize(name)
        failures.delete(key)
        if (zone === undefined) zones.delete(key)
        else zones.set(key, zone)
      }),
    queries: Effect.sync(() => [...log]),
    queryCount: (filter) => Effect.sync(() => log.filter((q) => matchesFilter(q, filter ?? {})).length),
    clearQueries: Effect.sync(() => {
      log.length = 0
    })
  })
})
