/**
 * Test support for authentication plugins: a `Dns` service answering from a `FakeDns` server on loopback (real UDP,
 * real dns2), with short timeouts so that a `TIMEOUT` zone fails a lookup in a second (long enough for a loaded CI machine to answer the others).
 *
 * ```ts
 * it.live("spf=pass", () => Effect.gen(function*() { ... }).pipe(Effect.provide(MailAuthTesting.dns({ "example.test": { TXT: ["v=spf1 ip4:127.0.0.1 -all"] } }))))
 * ```
 *
 * @since 0.1.0
 */
import { Dns } from "@cartero/dns"
import { FakeDns } from "@cartero/testing"
import { Effect, Layer, Schedule } from "effect"

/** `Dns` (and the `FakeDns` behind it, to count queries) for `zones`. No retries: one query per lookup. */
export const dns = (zones: FakeDns.Zones): Layer.Layer<Dns.Dns | FakeDns.FakeDns, unknown> =>
  Layer.effect(
    Dns.Dns,
    Effect.gen(function*() {
      const fake = yield* FakeDns.FakeDns
      return yield* Dns.make({ nameservers: [fake.nameserver], timeout: "1 second", retry: Schedule.recurs(0) })
    })
  ).pipe(Layer.provideMerge(FakeDns.FakeDns.layer(zones)))
