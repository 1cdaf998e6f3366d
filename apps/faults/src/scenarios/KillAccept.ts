/**
 * `kill-accept`: the app (Redis store, delivering to a counting next hop) is killed with SIGKILL while clients are
 * sending, and restarted on the same port and store; the clients retry every transaction that got no `250`.
 *
 * Expected: nothing that got a `250` is lost (the enqueue is durable before the reply). A transaction cut after the
 * server committed it but before its `250` reached the client is sent again by the client and delivered twice
 * (an inbound duplicate, as with any MTA). The same process was also delivering: its claims in flight wait for their
 * 5-minute lease, and a message it had handed to the next hop without recording it is delivered again (an outbound
 * duplicate).
 *
 * @since 0.1.0
 */
import { Duration, Effect } from "effect"
import * as Mta from "../Mta.ts"
import * as Scenario from "../Scenario.ts"
import * as Sinks from "../Sinks.ts"

export const scenario: Scenario.Scenario = {
  name: "kill-accept",
  summary: "SIGKILL the app while clients send; restart it on the same store; clients retry what got no 250",
  bound: Duration.minutes(10),
  run: (context) =>
    Effect.gen(function*() {
      const store = context.store ?? "redis"
      const run = Scenario.begin(context, "kill-accept")
      const sink = yield* Sinks.nextHop(run.ledger)
      const { world } = yield* Scenario.world(context, store, { relayTo: { host: "127.0.0.1", port: sink.port } })
      const first = yield* run.launch(world)
      const traffic = yield* run.send(world.port, context.messages)
      yield* traffic.waitAccepted(Math.max(1, Math.floor(context.messages / 3)), "60 seconds")
      const acceptedBefore = traffic.acceptedCount()
      const killed = yield* Mta.signal(first, "SIGKILL")
      context.note(`SIGKILL pid ${first.pid} after ${acceptedBefore} accepted (${run.ledger.delivered} delivered)`)
      const restartAt = Date.now()
      const second = yield* run.launch(world)
      const downMillis = Date.now() - restartAt
      return yield* run.conclude({
        store,
        summary: yield* traffic.done,
        queueOf: second,
        notes: () => [
          `SIGKILL ${killed ? "" : "(not confirmed) "}after ${acceptedBefore} of ${context.messages} accepted; ` +
          `restarted on the same port and store, greeting again ${(downMillis / 1000).toFixed(1)} s later`
        ]
      })
    })
}
