/**
 * MX routing (RFC 5321 §5.1, RFC 7505): from a recipient domain to the ordered list of hosts and addresses to try.
 *
 * 1. An address literal (`user@[192.0.2.1]`, `user@[IPv6:2001:db8::1]`) goes to that address.
 * 2. A static route (per-domain entry or smarthost, see {@link StaticRoutes}) bypasses MX lookup.
 * 3. MX records, by preference; hosts of equal preference in random order (spreads load, RFC 5321 §5.1).
 *    - null MX (`0 .`, RFC 7505) → bounce `5.1.10`;
 *    - no MX records (NODATA) → the implicit MX: the domain's own A/AAAA;
 *    - NXDOMAIN → bounce `5.1.2` (bad destination system); SERVFAIL / REFUSED / timeout → defer `4.4.3`.
 * 4. Each host's AAAA and A records (order per `addressPreference`). A host without addresses is skipped.
 *    When none is left: defer `4.4.3` if some lookup failed temporarily, else (MX hosts that exist but have no
 *    address) defer `4.4.4` — usually a transient DNS mistake at the receiver, and the queue's maximum age bounds
 *    the retries; an implicit MX without address is final (the domain publishes no way to reach it): bounce `5.4.4`.
 * 5. Loop detection: an MX host that is us (one of our names, resolving to one of our addresses, or to one of our
 *    listeners' endpoints at the outbound port) cuts the list at its preference: only strictly better hosts are kept
 *    (RFC 5321 §5.1). If none remains, the mail would loop: bounce `5.4.6`. A static route or the smarthost that
 *    resolves to one of our listeners' endpoints is our own misconfiguration: bounce `5.3.5`. Relays chosen by a
 *    `route` hook are not checked (re-injection into another listener, after a content filter, is a pattern); the
 *    `Received:` hop count bounds those.
 *
 * The router never fails: every outcome is a {@link Route.Route} value, its reply one of {@link Replies}.
 *
 * @since 0.1.0
 */
import { Dns, DnsError, Mx } from "@cartero/dns"
import { Context, Effect, Layer, Random } from "effect"
import * as net from "node:net"
import { domainToASCII } from "node:url"
import { DeliveryConfig, isSelfAddress, isSelfEndpoint, isSelfName, type Settings } from "./DeliveryConfig.ts"
import * as Replies from "./Replies.ts"
import * as Route from "./Route.ts"
import * as StaticRoutes from "./StaticRoutes.ts"

/** The router service. */
export class Router extends Context.Service<Router, {
  /** The route for `domain` (static routes first, then MX). */
  readonly route: (domain: string) => Effect.Effect<Route.Route>
  /** A route through explicit relays (e.g. chosen by a `route` hook): their names resolved, in the given order. */
  readonly relays: (domain: string, relays: ReadonlyArray<Route.Relay>, source?: Route.Source) => Effect.Effect<Route.Route>
}>()("@cartero/delivery/Router") {
  /** A router over the `Dns` and `DeliveryConfig` in context. */
  static readonly layer: Layer.Layer<Router, never, Dns.Dns | DeliveryConfig> = Layer.effect(
    Router,
    Effect.gen(function*() {
      const dns = yield* Dns.Dns
      const settings = yield* DeliveryConfig
      return make(dns, settings)
    })
  )
}

/** Addresses of one name, and whether a lookup failed temporarily. */
interface Resolved {
  readonly addresses: ReadonlyArray<string>
  readonly temporary: boolean
  readonly nxdomain: boolean
}

const lookupFamily = (effect: Effect.Effect<ReadonlyArray<string>, DnsError.DnsError>) =>
  effect.pipe(
    Effect.map((addresses) => ({ addresses, temporary: false, nxdomain: false })),
    Effect.catchTag("DnsError", (e) =>
      Effect.succeed({ addresses: [] as ReadonlyArray<string>, temporary: DnsError.isTemporary(e), nxdomain: e.reason === "NxDomain" }))
  )

/** Parses an address-literal domain (`[192.0.2.1]`, `[IPv6:2001:db8::1]`); `undefined` when not a literal. */
export const addressLiteral = (domain: string): string | undefined => {
  const m = /^\[(?:ipv6:)?([^\]]+)\]$/i.exec(domain)
  if (m === null || m[1] === undefined) return undefined
  return net.isIP(m[1]) === 0 ? undefined : m[1]
}

/** Builds the router. */
export const make = (dns: Dns.Service, settings: Settings): Router["Service"] => {
  const resolve = (name: string): Effect.Effect<Resolved> => {
    if (net.isIP(name) !== 0) return Effect.succeed({ addresses: [name], temporary: false, nxdomain: false })
    return Effect.all([lookupFamily(dns.aaaa(name)), lookupFamily(dns.a(name))], { concurrency: 2 }).pipe(
      Effect.map(([v6, v4]) => ({
        addresses: settings.addressPreference === "ipv6" ? [...v6.addresses, ...v4.addresses] : [...v4.addresses, ...v6.addresses],
        temporary: v6.temporary || v4.temporary,
        nxdomain: v6.nxdomain && v4.nxdomain
      }))
    )
  }

  /** One of our addresses, or one of our listeners at the port MX-routed mail goes to. */
  const isSelf = (address: string) => isSelfAddress(settings, address) || isSelfEndpoint(settings, address, settings.port)

  // Runs per message: untraced (Effect.fn("Router.relays") made a span and captured two stacks per call;
  // docs/benchmarks.md, "Profile and optimisations").
  const relays = Effect.fnUntraced(function*(domain: string, list: ReadonlyArray<Route.Relay>, source: Route.Source = "static") {
    const resolved = yield* Effect.forEach(list, (r) => resolve(r.host), { concurrency: 4 })
    if (source === "static") {
      const self = list.find((relay, i) => {
        const port = relay.port ?? settings.port
        return (resolved[i]?.addresses ?? []).some((a) => isSelfEndpoint(settings, a, port))
      })
      if (self !== undefined) return Route.bounce(domain, Replies.loopViaRelay(domain, StaticRoutes.formatRelay(self)))
    }
    const hosts: Array<Route.Host> = []
    list.forEach((relay, i) => {
      const addresses = resolved[i]?.addresses ?? []
      if (addresses.length > 0) {
        hosts.push({
          name: relay.host,
          preference: i,
          addresses,
          port: relay.port ?? settings.port,
          tls: relay.tls,
          source,
          ...(relay.auth !== undefined ? { auth: relay.auth } : {})
        })
      }
    })
    if (hosts.length > 0) return Route.hosts(domain, hosts)
    // A configured relay that does not resolve is our own configuration problem or a DNS outage: never bounce
    // the sender's mail for it.
    const names = list.map(StaticRoutes.formatRelay).join(", ")
    return resolved.some((r) => r.temporary)
      ? Route.defer(domain, Replies.relayLookupFailed(names))
      : Route.defer(domain, Replies.relayWithoutAddress(names))
  })

  /** Equal preferences shuffled, groups in ascending order. */
  const order = Effect.fnUntraced(function*(records: ReadonlyArray<Mx.Mx>) {
    const groups = new Map<number, Array<Mx.Mx>>()
    for (const r of Mx.sort(records)) {
      const g = groups.get(r.preference)
      if (g === undefined) groups.set(r.preference, [r])
      else g.push(r)
    }
    const out: Array<Mx.Mx> = []
    for (const pref of [...groups.keys()].sort((a, b) => a - b)) {
      const g = groups.get(pref) ?? []
      out.push(...(g.length > 1 ? yield* Random.shuffle(g) : g))
    }
    return out
  })

  const viaMx = Effect.fnUntraced(function*(domain: string, records: ReadonlyArray<Mx.Mx>) {
    if (Mx.isNullMx(records)) return Route.bounce(domain, Replies.nullMx(domain))
    const ordered = yield* order(records)
    const resolved = yield* Effect.forEach(ordered, (mx) => resolve(mx.exchange), { concurrency: 4 })
    const candidates = ordered.map((mx, i) => ({ mx, resolved: resolved[i] ?? { addresses: [], temporary: false, nxdomain: false } }))

    const self = candidates.find((c) => isSelfName(settings, c.mx.exchange) || c.resolved.addresses.some((a) => isSelf(a)))
    const usable = self === undefined ? candidates : candidates.filter((c) => c.mx.preference < self.mx.preference)
    if (self !== undefined && usable.length === 0) {
      return Route.bounce(domain, Replies.loopViaMx(domain, self.mx.exchange))
    }
    const hosts: Array<Route.Host> = usable
      .filter((c) => c.resolved.addresses.length > 0)
      .map((c) => ({
        name: c.mx.exchange,
        preference: c.mx.preference,
        addresses: c.resolved.addresses,
        port: settings.port,
        tls: undefined,
        source: "mx" as const
      }))
    if (hosts.length > 0) return Route.hosts(domain, hosts)
    return usable.some((c) => c.resolved.temporary)
      ? Route.defer(domain, Replies.mxHostsLookupFailed(domain))
      : Route.defer(domain, Replies.mxHostsWithoutAddress(domain))
  })

  const implicit = Effect.fnUntraced(function*(domain: string) {
    const r = yield* resolve(domain)
    if (r.addresses.some((a) => isSelf(a)) || isSelfName(settings, domain)) {
      return Route.bounce(domain, Replies.loopViaImplicitMx(domain))
    }
    if (r.addresses.length > 0) {
      return Route.hosts(domain, [{ name: domain, preference: 0, addresses: r.addresses, port: settings.port, tls: undefined, source: "implicit" }])
    }
    if (r.temporary) return Route.defer(domain, Replies.implicitMxLookupFailed(domain))
    if (r.nxdomain) return Route.bounce(domain, Replies.domainNotFound(domain))
    return Route.bounce(domain, Replies.noMxNoAddress(domain))
  })

  // Runs per message: untraced (Effect.fn("Router.route") made a span and captured two stacks per call;
  // docs/benchmarks.md, "Profile and optimisations").
  const route = Effect.fnUntraced(function*(rawDomain: string) {
    const lower = rawDomain.toLowerCase().replace(/\.$/, "")
    yield* Effect.annotateCurrentSpan({ "cartero.domain": lower })
    const literal = addressLiteral(lower)
    if (literal !== undefined) {
      if (isSelf(literal)) return Route.bounce(lower, Replies.loopViaAddressLiteral(lower))
      return Route.hosts(lower, [{ name: literal, preference: 0, addresses: [literal], port: settings.port, tls: undefined, source: "literal" }])
    }
    // DNS speaks A-labels: an internationalised domain (RFC 6531 mail) is looked up in its ASCII form.
    const domain = /^[\x00-\x7f]*$/.test(lower) ? lower : domainToASCII(lower)
    if (domain === "") return Route.bounce(lower, Replies.invalidDomain(lower))
    const relay = StaticRoutes.lookup(settings.staticRoutes, domain)
    if (relay !== undefined) return yield* relays(domain, [relay], "static")

    const records = yield* Effect.result(dns.mx(domain))
    if (records._tag === "Success") return yield* viaMx(domain, records.success)
    const e = records.failure
    switch (e.reason) {
      case "NoData":
        return yield* implicit(domain)
      case "NxDomain":
        return Route.bounce(domain, Replies.domainNotFound(domain))
      case "InvalidQuery":
        return Route.bounce(domain, Replies.invalidDomain(domain))
      default:
        return Route.defer(domain, Replies.mxLookupFailed(domain, e.reason))
    }
  })

  return { route, relays }
}
