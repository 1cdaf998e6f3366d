/**
 * A standalone DNS server on 127.0.0.1 for the Alice → Bob walkthrough (docs/scenario.md): it serves
 * someschool.test (MX mx.someschool.test → 127.0.0.1) and example.test (MX mail.example.test → 127.0.0.1) until
 * Ctrl-C. Port: the first argument, default 5353.
 *
 *   pnpm --filter @cartero/testing scenario-dns 5353
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect } from "effect"
import * as FakeDns from "../src/FakeDns.ts"

const port = Number(process.argv.slice(2).find((a) => a !== "--") ?? "5353")

const zones: FakeDns.Zones = {
  "someschool.test": { MX: [{ priority: 10, exchange: "mx.someschool.test" }] },
  "mx.someschool.test": { A: ["127.0.0.1"] },
  "example.test": { MX: [{ priority: 10, exchange: "mail.example.test" }] },
  "mail.example.test": { A: ["127.0.0.1"] }
}

const main = Effect.gen(function*() {
  const dns = yield* FakeDns.make(zones, { port })
  yield* Effect.logInfo(`scenario DNS on ${dns.nameserver}: ${Object.keys(zones).join(", ")}`)
  return yield* Effect.never
}).pipe(Effect.scoped)

NodeRuntime.runMain(main)
