/**
 * An in-memory `Dns` for unit tests of code that only *uses* DNS (plugins: SPF, DNSBL, relay policy): no socket, no
 * waiting, works under `TestClock`. Zones have the same shape as `@cartero/testing`'s `FakeDns` zones, so a test
 * can move between the two. Use `FakeDns` when the DNS wire itself matters (timeouts, TCP fallback, caching).
 *
 * Same outcomes as the real service: an absent name fails with `NxDomain`, a present name without the type with
 * `NoData`, `fail` gives `ServFail` / `Refused` / `Timeout` (at once) for `failTimes` lookups (default: always).
 * A `CNAME` is followed once. There is no cache: every call reads the zones as they are.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { Service } from "./Dns.ts"
import { DnsError, type Reason } from "./DnsError.ts"
import * as Mx from "./Mx.ts"
import * as Names from "./Names.ts"

/** Records and behaviour of one name (see `FakeDns.Zone`). */
export interface Zone {
  readonly MX?: ReadonlyArray<{ readonly priority: number; readonly exchange: string }>
  readonly A?: ReadonlyArray<string>
  readonly AAAA?: ReadonlyArray<string>
  readonly TXT?: ReadonlyArray<string | ReadonlyArray<string>>
  readonly PTR?: ReadonlyArray<string>
  readonly CNAME?: string
  readonly ttl?: number
  readonly fail?: "SERVFAIL" | "REFUSED" | "TIMEOUT"
  readonly failTimes?: number
}

/** Zones by name (case-insensitive, trailing dot ignored). */
export type Zones = Readonly<Record<string, Zone>>

type Type = "MX" | "A" | "AAAA" | "TXT" | "PTR"

const failReason: Record<NonNullable<Zone["fail"]>, Reason> = { SERVFAIL: "ServFail", REFUSED: "Refused", TIMEOUT: "Timeout" }

/** Builds the service over `zones`. */
export const make = (zones: Zones): Service => {
  const byName = new Map(Object.entries(zones).map(([name, zone]) => [Names.normalize(name), zone]))
  const failures = new Map<string, number>()

  const find = (rawName: string, type: Type): Effect.Effect<Zone, DnsError> =>
    Effect.suspend(() => {
      const name = Names.normalize(rawName)
      const error = (reason: Reason, detail: string) => Effect.fail(new DnsError({ name, type, reason, detail }))
      const zone = byName.get(name)
      if (zone === undefined) return error("NxDomain", "the name does not exist")
      if (zone.fail !== undefined) {
        const seen = failures.get(name) ?? 0
        if (zone.failTimes === undefined || seen < zone.failTimes) {
          failures.set(name, seen + 1)
          return error(failReason[zone.fail], `test zone says ${zone.fail}`)
        }
      }
      const target = zone.CNAME === undefined ? zone : byName.get(Names.normalize(zone.CNAME)) ?? {}
      const has = type === "MX" ? target.MX : type === "A" ? target.A : type === "AAAA" ? target.AAAA : type === "TXT" ? target.TXT : target.PTR
      if (has === undefined || has.length === 0) return error("NoData", `the name has no ${type} records`)
      return Effect.succeed(target)
    })

  return {
    mx: (domain) =>
      Effect.map(find(domain, "MX"), (z) =>
        Mx.sort((z.MX ?? []).map((m) => ({ exchange: Names.normalize(m.exchange), preference: m.priority, ttl: z.ttl ?? 300 })))),
    a: (name) => Effect.map(find(name, "A"), (z) => z.A ?? []),
    aaaa: (name) => Effect.map(find(name, "AAAA"), (z) => z.AAAA ?? []),
    txt: (name) => Effect.map(find(name, "TXT"), (z) => (z.TXT ?? []).map((t) => (typeof t === "string" ? t : t.join("")))),
    ptr: (ip) => {
      const name = Names.reverseName(ip)
      return name === undefined
        ? Effect.fail(new DnsError({ name: ip, type: "PTR", reason: "InvalidQuery", detail: "not an IP address" }))
        : Effect.map(find(name, "PTR"), (z) => (z.PTR ?? []).map(Names.normalize))
    },
    clearCache: Effect.void
  }
}
