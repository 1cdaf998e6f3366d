/** Shared set-up of the plugin tests: a FakeDns with blocklist zones, a real `Dns` over it, the plugin's pipeline. */
import { Pipeline, Plugin } from "@cartero/core"
import { Dns } from "@cartero/dns"
import { SmtpReply, Verdict } from "@cartero/smtp"
import { FakeDns } from "@cartero/testing"
import { Context, Effect, Layer, Logger, References, Schedule } from "effect"
import { Dnsbl, type Policy } from "../src/index.ts"

/** A verdict as the client would see it: the reply line, or the verdict's tag when there is no reply. */
export const wire = (verdict: Verdict.Verdict): string =>
  verdict._tag === "Continue" || verdict._tag === "Accept" ? verdict._tag : SmtpReply.toString(verdict.reply)

/** The reversed name of an IPv6 address under a zone (written out in the tests that check the reversal itself). */
export const nibbles = (hex32: string, zone: string): string => `${hex32.split("").reverse().join(".")}.${zone}`

/** Blocklist zones served by FakeDns in these tests. */
export const zones: FakeDns.Zones = {
  // 192.0.2.2: listed by zen.test, with a TXT
  "2.2.0.192.zen.test": { A: ["127.0.0.2"], TXT: ["Listed by ZEN, see https://zen.test/query/ip/192.0.2.2"] },
  // 192.0.2.3: answers 127.0.0.12, outside the usual filter 127.0.0.[2..11]
  "3.2.0.192.zen.test": { A: ["127.0.0.12"] },
  // 192.0.2.4: the list refuses us (Spamhaus: queried through an open resolver)
  "4.2.0.192.zen.test": { A: ["127.255.255.254"] },
  // 192.0.2.5 / .6: the list's servers fail or never answer
  "5.2.0.192.zen.test": { fail: "SERVFAIL" },
  "6.2.0.192.zen.test": { fail: "TIMEOUT" },
  // 192.0.2.7: listed, with a hostile TXT (reply injection, NUL, non-ASCII, kilobytes)
  "7.2.0.192.zen.test": { A: ["127.0.0.3"], TXT: [["Bad\r\n250 2.0.0 Ok\u0000 caf\u00e9 ", "y".repeat(250), "z".repeat(250)]] },
  // 192.0.2.8: a rewriting resolver's advertising address
  "8.2.0.192.zen.test": { A: ["198.51.100.1"] },
  // 192.0.2.9: listed by both zen.test and bl2.test (for scores)
  "9.2.0.192.zen.test": { A: ["127.0.0.2"] },
  "9.2.0.192.bl2.test": { A: ["127.0.0.2"] },
  // 192.0.2.10: on the allow list wl.test (negative weight) and on zen.test
  "10.2.0.192.zen.test": { A: ["127.0.0.2"] },
  "10.2.0.192.wl.test": { A: ["127.0.10.3"] },
  // 2001:db8::25: listed by zen.test over IPv6
  [nibbles("20010db8000000000000000000000025", "zen.test")]: { A: ["127.0.0.4"], TXT: ["IPv6 listed"] },
  // domain list
  "spam.example.dbl.test": { A: ["127.0.1.2"], TXT: ["spam domain"] },
  "bad.example.dbl.test": { A: ["127.0.1.2"] },
  "broken.example.dbl.test": { fail: "SERVFAIL" }
}

/** Nothing below Error reaches the test output unless a test captures logs itself. */
export const quiet = Layer.succeed(References.MinimumLogLevel, "Error")

/** Collects log messages at warn and above. */
export const captureWarnings = () => {
  const lines: Array<string> = []
  const logger = Logger.make<unknown, void>((options) => {
    if (options.logLevel === "Warn" || options.logLevel === "Error") {
      lines.push(String(Array.isArray(options.message) ? options.message.join(" ") : options.message))
    }
  })
  return { lines, layer: Logger.layer([logger]) }
}

/** Accepts every recipient (the part `local-domains` plays in an app), so a recipient the plugin lets through reads `Accept`. */
export const acceptAll = Plugin.make("accept-all", Effect.succeed({ rcptTo: () => Effect.succeed(Verdict.accept()) }))

/**
 * A FakeDns serving {@link zones}, a `Dns` over it (200 ms per query, no retries: a TIMEOUT zone costs 200 ms),
 * and a pipeline with the plugin built with `options`, then {@link acceptAll}. Scoped.
 */
export const setup = (options: Policy.Options) =>
  Effect.gen(function*() {
    const fake = yield* FakeDns.make(zones)
    const dns = Dns.Dns.layer({ nameservers: [fake.nameserver], timeout: "200 millis", retry: Schedule.recurs(0) })
    const context = yield* Layer.build(Pipeline.Pipeline.layer([Dnsbl.plugin(options), acceptAll]).pipe(Layer.provide(dns)))
    return { fake, pipeline: Context.get(context, Pipeline.Pipeline) }
  })
