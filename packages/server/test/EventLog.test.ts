/**
 * The `refused` line of each phase names the plugin whose verdict (or failed hook) refused, or `server` for the
 * server's own checks and a phase's default, with the reply the client got and the same keys every time.
 */
import { Pipeline, type Plugin } from "@cartero/core"
import { Verdict } from "@cartero/smtp"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Logger, References } from "effect"
import { SmtpServer } from "../src/index.ts"
import { acceptDomain, ehlo, hooks, play, storeWith } from "./helpers.ts"

interface Line {
  readonly message: string
  readonly annotations: Record<string, unknown>
}

const refusalKeys = ["session", "txn", "client", "helo", "user", "from", "to", "phase", "plugin", "reply"]

/** Runs `script` against a server of `plugins` at Info; the lines logged. */
const linesOf = (plugins: ReadonlyArray<Plugin.Plugin<never, never>>, script: string) => {
  const lines: Array<Line> = []
  const capture = Logger.make<unknown, void>((options) => {
    lines.push({
      message: String(Array.isArray(options.message) ? options.message[0] : options.message),
      annotations: { ...options.fiber.getRef(References.CurrentLogAnnotations) }
    })
  })
  return Effect.gen(function*() {
    const server = yield* SmtpServer.SmtpServer
    yield* play(server, script)
    yield* Effect.sleep("50 millis")
    return lines
  }).pipe(
    Effect.provide(SmtpServer.SmtpServer.layerTest({ maxMessageSize: 1000 }).pipe(Layer.provide(Pipeline.Pipeline.layer(plugins)))),
    Effect.provide(Logger.layer([capture])),
    Effect.provideService(References.MinimumLogLevel, "Info")
  )
}

const refusals = (lines: ReadonlyArray<Line>) => lines.filter((l) => l.message === "refused").map((l) => l.annotations)

const picky = hooks("picky", {
  helo: (_c, helo) => helo.domain === "broken.test" ? Effect.fail("down") : Effect.succeed(Verdict.next),
  rcptTo: (_t, rcpt) => Effect.succeed(rcpt.address.localPart === "nobody" ? Verdict.reject("5.1.1", "No such user") : Verdict.next)
})
const full = storeWith("full-store", () => Effect.succeed(Verdict.defer("4.3.1", "Store full")))

describe("refused lines", () => {
  it.live("each phase: the deciding plugin, or server, with the reply", () =>
    Effect.gen(function*() {
      const lines = yield* linesOf([picky, acceptDomain("example.test"), full], String.raw`
        ${ehlo}
        -> HELO broken.test
        <- 451 4.3.0 *
        -> MAIL FROM:<alice@sender.test> XFOO=1
        <- 555 5.5.4 Unsupported parameter XFOO
        -> MAIL FROM:<alice@sender.test>
        <- 250 2.1.0 Accepted
        -> RCPT TO:<nobody@example.test>
        <- 550 5.1.1 No such user
        -> RCPT TO:<carol@elsewhere.test>
        <~ 550 5.7.1
        -> RCPT TO:<bob@example.test>
        <- 250 2.1.5 Accepted
        -> DATA
        <~ 354
        => Subject: x\r\n\r\nhello\r\n.\r\n
        <- 451 4.3.1 Store full
        -> QUIT
        <- 221 2.0.0 Bye
      `)
      const refused = refusals(lines)
      for (const line of refused) assert.deepStrictEqual(Object.keys(line), refusalKeys)
      const brief = refused.map((l) => [l["phase"], l["plugin"], String(l["reply"]).slice(0, 9), l["from"], l["to"]])
      assert.deepStrictEqual(brief, [
        ["helo", "picky", "451 4.3.0", "", ""],
        ["mailFrom", "server", "555 5.5.4", "", ""],
        ["rcptTo", "picky", "550 5.1.1", "<alice@sender.test>", "<nobody@example.test>"],
        ["rcptTo", "server", "550 5.7.1", "<alice@sender.test>", "<carol@elsewhere.test>"],
        ["queue", "full-store", "451 4.3.1", "<alice@sender.test>", "<bob@example.test>"]
      ])
      assert.deepInclude(refused[2], { client: "127.0.0.1", helo: "client.test", user: "" })
      assert.strictEqual(lines.filter((l) => l.message === "message accepted").length, 0)
    }))

  it.live("a message over the size limit: phase message, plugin server", () =>
    Effect.gen(function*() {
      const lines = yield* linesOf([acceptDomain("example.test"), full], String.raw`
        ${ehlo}
        -> MAIL FROM:<alice@sender.test>
        <- 250 2.1.0 Accepted
        -> RCPT TO:<bob@example.test>
        <- 250 2.1.5 Accepted
        -> DATA
        <~ 354
        => ${"x".repeat(2000)}\r\n.\r\n
        <~ 552 5.3.4
        -> QUIT
        <- 221 2.0.0 Bye
      `)
      const [refused, ...more] = refusals(lines)
      assert.strictEqual(more.length, 0)
      assert.deepStrictEqual(Object.keys(refused ?? {}), refusalKeys)
      assert.deepInclude(refused, { phase: "message", plugin: "server", from: "<alice@sender.test>", to: "<bob@example.test>" })
      assert.match(String(refused?.["reply"]), /^552 5\.3\.4 /)
    }))
})
