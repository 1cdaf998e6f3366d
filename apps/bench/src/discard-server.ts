/**
 * Cartero's framework with nothing behind it: `@cartero/server` over a pipeline of one plugin that accepts every
 * recipient and discards every message (a store of the `queue` phase that answers `250` without storing anything).
 *
 * It is the like-for-like peer of Haraka's discard mode (`peers.sh`): the same SMTP session, the same hooks and the
 * same Effect runtime as the reference app, minus the queue. Comparing it with `accept` (the app, durable Redis
 * queue) separates what the framework costs from what durable queueing costs (docs/benchmarks.md, "Round 4").
 *
 * ```
 * pnpm --filter @cartero/bench exec tsx src/discard-server.ts [port]   # prints "pid <n> port <p>", default 2604
 * pnpm bench -- accept --target 127.0.0.1:2604 --pid <n> --label cartero-discard
 * ```
 *
 * Loopback only; logs at warning level (a line per message would measure the terminal); stops on SIGTERM/SIGINT.
 *
 * @since 0.1.0
 */
import { Pipeline, Plugin, Store } from "@cartero/core"
import { SmtpServer } from "@cartero/server"
import { Verdict } from "@cartero/smtp"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect, Layer, References } from "effect"

const discard = Plugin.make("discard", Effect.succeed({
  rcptTo: () => Effect.succeed(Verdict.accept()),
  queue: Store.make({
    takes: () => Effect.succeed(true),
    prepare: () => Effect.void,
    write: () => Effect.succeed(Verdict.accept({ enhanced: "2.0.0", text: "Ok: discarded" })),
    undo: () => Effect.void
  })
}))

const port = Number(process.argv[2] ?? "2604")
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`discard-server: bad port ${JSON.stringify(process.argv[2])}\n`)
  process.exit(1)
}

const program = Effect.gen(function*() {
  const server = yield* SmtpServer.SmtpServer
  const bound = server.address("mx")
  process.stdout.write(`pid ${process.pid} port ${bound?.port ?? port}\n`)
  return yield* Effect.never
}).pipe(
  Effect.provide(
    SmtpServer.SmtpServer.layer({ hostname: "discard.bench.invalid", listeners: [{ kind: "mx", host: "127.0.0.1", port }] }).pipe(
      Layer.provide(Pipeline.Pipeline.layer([discard]))
    )
  ),
  Effect.provideService(References.MinimumLogLevel, "Warn")
)

NodeRuntime.runMain(program)
