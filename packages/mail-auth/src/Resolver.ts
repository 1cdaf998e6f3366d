/**
 * mailauth's DNS, answered by `@cartero/dns`: one cache, one set of nameservers (`CARTERO_DNS_SERVERS`), one timeout
 * policy for delivery and for authentication, and tests that talk to `FakeDns` instead of the Internet.
 *
 * mailauth calls `resolver(name, type)` the way `dns.promises.resolve` is called and reads failures by Node's error
 * codes: `ENOTFOUND` / `ENODATA` are answers (no such name / no such record: SPF counts them as void lookups, DKIM
 * reads "no key"), everything else is a temporary failure (`temperror`). {@link code} is that mapping.
 *
 * @since 0.1.0
 */
import { Dns, DnsError, Names } from "@cartero/dns"
import { Effect, Exit } from "effect"
import type { DNSResolver } from "mailauth"

/** Node's resolver error code for each way a lookup fails (what mailauth switches on). */
export const code = (reason: DnsError.Reason): string => {
  switch (reason) {
    case "NxDomain":
      return "ENOTFOUND"
    case "NoData":
      return "ENODATA"
    case "Timeout":
      return "ETIMEOUT"
    case "Refused":
      return "EREFUSED"
    case "ServFail":
      return "ESERVFAIL"
    case "InvalidQuery":
      return "EBADNAME"
  }
}

/** A failed lookup as mailauth expects it: an `Error` with Node's `code`. */
export class ResolverError extends Error {
  readonly code: string
  constructor(readonly error: DnsError.DnsError) {
    super(error.message)
    this.code = code(error.reason)
  }
}

const notImplemented = (name: string, type: string): ResolverError =>
  new ResolverError(new DnsError.DnsError({ name, type, reason: "InvalidQuery", detail: "record type not supported" }))

const run = <A>(effect: Effect.Effect<A, DnsError.DnsError>): Promise<A> =>
  Effect.runPromiseExit(effect).then((exit) => {
    if (Exit.isSuccess(exit)) return exit.value
    const failure = exit.cause.reasons.find((r) => r._tag === "Fail")
    throw failure !== undefined && failure._tag === "Fail" ? new ResolverError(failure.error) : new Error(String(exit.cause))
  })

/**
 * The mailauth resolver for a `Dns` service. TXT answers come back as one string per record (our resolver joins a
 * record's character-strings, as RFC 7208 §3.3 and RFC 6376 §3.6.2.2 ask), MX answers as `{ exchange, priority }`.
 */
export const make = (dns: Dns.Service): DNSResolver => (name: string, type: string): Promise<Array<Array<string>> | Array<string>> => {
  switch (type.toUpperCase()) {
    case "TXT":
      return run(Effect.map(dns.txt(name), (records) => records.map((r) => [r])))
    case "A":
      return run(Effect.map(dns.a(name), (a) => [...a]))
    case "AAAA":
      return run(Effect.map(dns.aaaa(name), (a) => [...a]))
    case "MX":
      // mailauth reads `exchange` and `priority`, Node's shape; its declared type is the common string form.
      return run(Effect.map(dns.mx(name), (mx) => mx.map((m) => ({ exchange: m.exchange, priority: m.preference })))) as unknown as Promise<Array<string>>
    case "PTR": {
      const ip = Names.fromReverseName(name)
      if (ip === undefined) return Promise.reject(notImplemented(name, "PTR"))
      return run(Effect.map(dns.ptr(ip), (names) => [...names]))
    }
    default:
      return Promise.reject(notImplemented(name, type))
  }
}

/** The resolver over the `Dns` service of the context. */
export const fromContext: Effect.Effect<DNSResolver, never, Dns.Dns> = Effect.gen(function*() {
  return make(yield* Dns.Dns)
})
