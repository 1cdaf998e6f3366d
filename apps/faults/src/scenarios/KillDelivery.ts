/**
 * `kill-delivery`: N messages accepted by a receive-only process (`CARTERO_DELIVERY_WORKERS=0`), then a
 * delivering process started against a slow next hop (its `250` comes 300 ms after it has the message) and
 * killed with SIGKILL mid-delivery, then restarted.
 *
 * Expected: every message delivered; the recipients the killed process had claimed come back when their lease
 * expires (5 minutes), and those it had handed to the next hop without recording the outcome are delivered twice:
 * the documented at-least-once window (docs/queue.md), counted as outbound duplicates.
 *
 * @since 0.1.0
 */
import { Duration, Effect } from "effect"
import * as Mta from "../Mta.ts"
import * as Scenario from "../Scenario.ts"
import * as Sinks from "../Sinks.ts"

export const scenario: Scenario.Scenario = {
  name: "kill-delivery",
  summary: "SIGKILL a delivering process mid-delivery (slow next hop); restart it; count the at-least-once duplicates",
  bound: Duration.minutes(10),
  run: (context) =>
    Effect.gen(function*() {
      const store = context.store ?? "sqlite"
      const run = Scenario.begin(context, "kill-delivery")
      const sink = yield* Sinks.nextHop(run.ledger, "300 millis")
      const { world } = yield* Scenario.world(context, store, {
        relayTo: { host: "127.0.0.1", port: sink.port },
        workers: 0,
        extra: Scenario.fastRetries
      })
      const receiver = yield* run.launch(world, "cartero (receive only)")
      const summary = yield* (yield* run.send(world.port, context.messages)).done
      yield* Mta.signal(receiver, "SIGTERM")
      context.note(`${summary.accepted.size} accepted by the receive-only process; starting a delivering one`)
      const delivering: Mta.World = { ...world, port: yield* Scenario.freePort(), workers: 50 }
      const first = yield* run.launch(delivering, "cartero (delivering)")
      yield* Scenario.awaitDelivered(run.ledger, Math.max(1, Math.floor(summary.accepted.size / 3)))
      const deliveredBefore = run.ledger.delivered
      const killed = yield* Mta.signal(first, "SIGKILL")
      context.note(`SIGKILL pid ${first.pid} after ${deliveredBefore} delivered`)
      const second = yield* run.launch(delivering, "cartero (delivering, restarted)")
      return yield* run.conclude({
        store,
        summary,
        queueOf: second,
        notes: () => [
          `accepted with CARTERO_DELIVERY_WORKERS=0; a delivering process (50 workers, next hop answering 250 after 300 ms) ` +
          `SIGKILLed ${killed ? "" : "(not confirmed) "}after ${deliveredBefore} delivered, then restarted`
        ]
      })
    })
}
