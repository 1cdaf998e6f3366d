/** Every log line of a session carries the session id. */
import { Pipeline } from "@cartero/core"
import { Transcript } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Logger, References } from "effect"
import { SmtpServer } from "../src/index.ts"
import { acceptDomain, ehlo, recorder } from "./helpers.ts"

describe("logging", () => {
  it.live("log lines of a session are annotated with its id", () => {
    const lines: Array<{ message: string; session: unknown }> = []
    const capture = Logger.make<unknown, void>((options) => {
      lines.push({
        message: String(Array.isArray(options.message) ? options.message[0] : options.message),
        session: options.fiber.getRef(References.CurrentLogAnnotations)["session"]
      })
    })
    const rec = recorder()
    return Effect.gen(function*() {
      const server = yield* SmtpServer.SmtpServer
      const mx = server.address("mx")
      yield* Transcript.run({ host: "127.0.0.1", port: mx?.port ?? 0 }, String.raw`
        ${ehlo}
        -> MAIL FROM:<alice@sender.test>
        <- 250 2.1.0 Accepted
        -> RCPT TO:<bob@example.test>
        <- 250 2.1.5 Accepted
        -> DATA
        <~ 354
        => x\r\n.\r\n
        <~ 250 2.6.0
        -> QUIT
        <- 221 2.0.0 Bye
      `)
      yield* Effect.sleep("50 millis")
    }).pipe(
      Effect.provide(
        SmtpServer.SmtpServer.layerTest().pipe(Layer.provide(Pipeline.Pipeline.layer([acceptDomain("example.test"), rec.plugin])))
      ),
      Effect.provide(Logger.layer([capture])),
      Effect.provideService(References.MinimumLogLevel, "Debug"),
      Effect.tap(() =>
        Effect.sync(() => {
          const session = lines.filter((l) => ["connect", "MAIL FROM", "RCPT TO", "message accepted", "disconnect"].includes(l.message))
          assert.deepStrictEqual(session.map((l) => l.message), ["connect", "MAIL FROM", "RCPT TO", "message accepted", "disconnect"])
          const ids = new Set(session.map((l) => l.session))
          assert.strictEqual(ids.size, 1)
          assert.match(String([...ids][0]), /^[0-9a-v]{16}$/)
        })
      )
    )
  })
})
