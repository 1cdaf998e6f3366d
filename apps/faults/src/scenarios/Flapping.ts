/**
 * `flapping-next-hop`: the app relays to a next hop that cycles through refusing connections, greeting with `421`,
 * hanging silently and accepting ({@link FlappingNextHop}), with the retry schedule shortened to `1s,2s`.
 *
 * Expected: every accepted message delivered in the end; deferrals meanwhile (`451 4.4.1` for refused connections,
 * `4.4.2` for the next hop's `421` and for dropped connections); duplicates only where a cut fell between the next
 * hop taking a message and its `250` reaching the app (the at-least-once window).
 *
 * @since 0.1.0
 */
import { SmtpSink } from "@cartero/testing"
import { Duration, Effect } from "effect"
import * as FlappingNextHop from "../FlappingNextHop.ts"
import * as Mta from "../Mta.ts"
import * as Scenario from "../Scenario.ts"
import * as Sinks from "../Sinks.ts"

export interface Options {
  /** Full cycles through the four modes (default 3). */
  readonly cycles?: number
  /** How long each mode lasts (default 1.5 s). */
  readonly phase?: Duration.Input
}

export const make = (options: Options = {}): Scenario.Scenario => ({
  name: "flapping-next-hop",
  summary: "the next hop cycles: connection refused, 421 at the greeting, silent (hung), accepting",
  bound: Duration.minutes(10),
  run: (context) =>
    Effect.gen(function*() {
      const store = context.store ?? "sqlite"
      const cycles = options.cycles ?? 3
      const phaseMillis = Duration.toMillis(Duration.fromInputUnsafe(options.phase ?? "1500 millis"))
      const run = Scenario.begin(context, "flapping-next-hop")
      const script = Sinks.counting(run.ledger)
      const sink = yield* SmtpSink.make(script)
      const hop = yield* FlappingNextHop.make(sink, script, yield* Scenario.freePort())
      const { world } = yield* Scenario.world(context, store, {
        relayTo: { host: "127.0.0.1", port: hop.port },
        extra: Scenario.fastRetries
      })
      const app = yield* run.launch(world)
      const traffic = yield* run.send(world.port, context.messages)
      // Flap while the clients send and the app delivers.
      for (let i = 0; i < cycles * FlappingNextHop.cycle.length; i++) {
        yield* hop.set(FlappingNextHop.cycle[i % FlappingNextHop.cycle.length] ?? "accept")
        yield* Scenario.pause(phaseMillis)
      }
      yield* hop.set("accept")
      return yield* run.conclude({
        store,
        summary: yield* traffic.done,
        queueOf: app,
        notes: () => [
          `${cycles} cycles of refuse/421/silent/accept, ${phaseMillis} ms each; retry schedule 1s,2s; ` +
          `${hop.connections()} connections reached the next hop`,
          ...(Mta.alive(app) ? [] : ["the app exited"])
        ]
      })
    })
})
