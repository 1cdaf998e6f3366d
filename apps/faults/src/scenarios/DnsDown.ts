/**
 * `dns-down`: the app routes by MX through `@cartero/testing`'s `FakeDns` (a real dns2 server on loopback, records
 * with a 1 s TTL so the app's cache does not hide the outage). Half the messages are sent and delivered; the DNS
 * server is stopped; once the cached answers have expired the other half is sent; the DNS server is started again
 * on the same port 15 s after it stopped.
 *
 * Expected: the second half deferred while DNS is down (`451 4.4.3`, a temporary lookup failure, never a bounce),
 * then delivered once it is back; nothing lost, no duplicates.
 *
 * @since 0.1.0
 */
import { FakeDns } from "@cartero/testing"
import { Duration, Effect, Exit, Scope } from "effect"
import * as Scenario from "../Scenario.ts"
import * as Sinks from "../Sinks.ts"
import * as Traffic from "../Traffic.ts"

const downMillis = 15_000

const zones: FakeDns.Zones = {
  "faults.test": { MX: [{ priority: 10, exchange: "mx.faults.test" }], ttl: 1 },
  "mx.faults.test": { A: ["127.0.0.1"], ttl: 1 }
}

/** A DNS server in a scope of its own, so that the scenario can stop it and start it again. */
const dnsServer = (port?: number) =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    yield* Effect.addFinalizer(() => Scope.close(scope, Exit.void))
    const dns = yield* FakeDns.make(zones, port === undefined ? {} : { port }).pipe(Scope.provide(scope))
    return { dns, stop: Scope.close(scope, Exit.void) }
  })

export const scenario: Scenario.Scenario = {
  name: "dns-down",
  summary: "stop the DNS server (MX routing) between two halves of the traffic, start it again 15 s later",
  bound: Duration.minutes(10),
  run: (context) =>
    Effect.gen(function*() {
      const store = context.store ?? "sqlite"
      const run = Scenario.begin(context, "dns-down")
      const sink = yield* Sinks.nextHop(run.ledger)
      const { dns, stop } = yield* dnsServer()
      const { world } = yield* Scenario.world(context, store, {
        extra: { ...Scenario.fastRetries, CARTERO_DNS_SERVERS: dns.nameserver, CARTERO_OUTBOUND_PORT: String(sink.port) }
      })
      const app = yield* run.launch(world)
      const firstHalf = Math.max(1, Math.floor(context.messages / 2))
      const before = yield* (yield* run.send(world.port, firstHalf)).done
      yield* Scenario.awaitDelivered(run.ledger, before.accepted.size)
      const deliveredBefore = run.ledger.delivered
      yield* stop
      context.note(`DNS stopped after ${deliveredBefore} delivered`)
      yield* Scenario.pause(1_500) // the cached answers (TTL 1 s) expire
      const during = yield* run.send(world.port, context.messages - firstHalf, firstHalf)
      yield* Scenario.pause(downMillis - 1_500)
      const deliveredWhileDown = run.ledger.delivered - deliveredBefore
      yield* dnsServer(dns.port)
      context.note("DNS back")
      return yield* run.conclude({
        store,
        summary: Traffic.merge(before, yield* during.done),
        queueOf: app,
        notes: () => [
          `MX routing via FakeDns (TTL 1 s); ${deliveredBefore} delivered, DNS stopped for ${downMillis / 1000} s, ` +
          `${context.messages - firstHalf} sent meanwhile, ${deliveredWhileDown} of them delivered while it was down`
        ]
      })
    })
}
