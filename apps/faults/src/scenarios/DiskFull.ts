/**
 * The data directory on a tiny file system that fills up while clients send ({@link TinyFilesystem}: tmpfs, else
 * an ext4 loop file, else a labelled simulation):
 *
 * - `disk-full-maildir`: mail for a local recipient, stored in its Maildir;
 * - `disk-full-sqlite`: mail relayed through the SQLite queue (`queue.sqlite` and its WAL on the tiny file system)
 *   to a counting next hop.
 *
 * A third of the messages go through, then the file system is filled to the last byte and kept full for a few
 * seconds while the clients keep trying, then the filler is deleted. Expected: `451` (or `452 4.3.1`) while full,
 * nothing acknowledged lost, no half-written files left behind, the app running throughout and accepting again once
 * space is back.
 *
 * @since 0.1.0
 */
import { Duration, Effect } from "effect"
import * as Path from "node:path"
import * as Mta from "../Mta.ts"
import * as Scenario from "../Scenario.ts"
import * as Sinks from "../Sinks.ts"
import * as TinyFilesystem from "../TinyFilesystem.ts"

const fullMillis = 5_000
const sizeMiB = 16

const make = (target: "maildir" | "sqlite"): Scenario.Scenario => ({
  name: `disk-full-${target}`,
  summary: target === "maildir"
    ? "the Maildir's file system fills up while clients send to a local recipient; then space is freed"
    : "the SQLite queue's file system fills up while clients send and the app delivers; then space is freed",
  bound: Duration.minutes(10),
  run: (context) =>
    Effect.gen(function*() {
      const run = Scenario.begin(context, `disk-full-${target}`, target === "maildir" ? Scenario.localRecipient : Scenario.remoteRecipient)
      const fs = yield* TinyFilesystem.make(sizeMiB)
      context.note(fs.description)
      const dataDir = Path.join(fs.dir, "data")
      const sink = target === "sqlite" ? yield* Sinks.nextHop(run.ledger) : undefined
      const { world } = yield* Scenario.world(context, "sqlite", {
        dataDir,
        ...(sink === undefined ? {} : { relayTo: { host: "127.0.0.1", port: sink.port } }),
        extra: Scenario.fastRetries
      })
      const app = yield* run.launch(world)
      const seen = new Set<string>()
      let leftovers = 0
      const refresh = target === "maildir"
        ? Effect.map(Sinks.scanMaildirs(Path.join(dataDir, "mail"), run.ledger, seen), (scan) => {
          leftovers = scan.leftovers
        })
        : Effect.void
      const traffic = yield* run.send(world.port, context.messages)
      yield* traffic.waitAccepted(Math.max(1, Math.floor(context.messages / 3)), "60 seconds")
      const acceptedBefore = traffic.acceptedCount()
      const filled = yield* fs.fill
      context.note(`filled after ${acceptedBefore} accepted (${filled} bytes of filler)`)
      yield* Scenario.pause(fullMillis)
      const acceptedWhileFull = traffic.acceptedCount() - acceptedBefore
      const aliveWhileFull = Mta.alive(app)
      yield* refresh
      const leftoversWhileFull = leftovers
      yield* fs.free
      context.note("space freed")
      return yield* run.conclude({
        store: target,
        summary: yield* traffic.done,
        refresh,
        ...(target === "sqlite" ? { queueOf: app } : {}),
        notes: () => [
          `${fs.description}; full for ${fullMillis / 1000} s after ${acceptedBefore} accepted (${acceptedWhileFull} accepted while full)`,
          aliveWhileFull && Mta.alive(app) ? "the app kept running" : "the app exited",
          ...(target === "maildir" ? [`files in Maildir tmp/: ${leftoversWhileFull} while full, ${leftovers} at the end`] : [])
        ]
      })
    })
})

export const maildir = make("maildir")
export const sqlite = make("sqlite")
