import { SmtpServer } from "@cartero/server"
import { SmtpTestClient, TempDir } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Context, Effect, Exit, Fiber, Layer, Schedule, Scope } from "effect"
import * as Path from "node:path"
import * as MtaApp from "../src/MtaApp.ts"

const tempDir = TempDir.make()
const { listFiles } = TempDir

describe("graceful shutdown", () => {
  it.live("closing the app stops accepting, lets the session in progress finish its message, then completes", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDir
      const env = {
        CARTERO_SMTP_PORT: "0",
        CARTERO_DATA_DIR: dataDir,
        CARTERO_HOSTNAME: "mx.test",
        CARTERO_SHUTDOWN_TIMEOUT: "5s",
        CARTERO_LOG_LEVEL: "warn"
      }
      const appScope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(
        MtaApp.MtaApp.layer.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))),
        appScope
      )
      const mx = Context.get(context, SmtpServer.SmtpServer).address("mx")
      if (mx === undefined) return yield* Effect.die("no MX listener")

      const client = yield* SmtpTestClient.connect({ host: mx.host, port: mx.port })
      assert.strictEqual((yield* client.readReply()).reply.code, 220)
      for (const [line, code] of [
        ["EHLO client.test", 250],
        ["MAIL FROM:<a@remote.test>", 250],
        ["RCPT TO:<bob@localhost>", 250],
        ["DATA", 354]
      ] as const) {
        assert.strictEqual((yield* client.command(line)).reply.code, code, line)
      }

      // what SIGTERM does: the app's scope closes
      const closing = yield* Scope.close(appScope, Exit.void).pipe(Effect.forkChild)
      const refused = yield* SmtpTestClient.connect({ host: mx.host, port: mx.port, timeout: "2 seconds" }).pipe(
        Effect.andThen((c) => c.readReply()),
        Effect.scoped,
        Effect.exit,
        Effect.repeat({ until: Exit.isFailure, times: 40, schedule: Schedule.spaced("50 millis") }),
        Effect.timeout("5 seconds")
      )
      assert.isTrue(Exit.isFailure(refused), "new connections are refused once shutdown started")

      yield* client.sendRaw("Subject: late\r\n\r\nfinished during shutdown\r\n.\r\n")
      const reply = yield* client.readReply()
      assert.strictEqual(reply.reply.code, 250, reply.lines.join(" "))
      yield* client.command("QUIT").pipe(Effect.ignore)
      yield* Fiber.join(closing).pipe(Effect.timeout("10 seconds"))

      const files = yield* listFiles(Path.join(dataDir, "mail"))
      assert.strictEqual(files.length, 1)
      assert.match(files[0] ?? "", /^localhost\/bob\/Maildir\/new\//)
    }).pipe(Effect.scoped))
})
