/** Start-up and shutdown: the self-signed development pair, bind errors, graceful close of sessions in progress. */
import { Pipeline } from "@cartero/core"
import { SmtpTestClient } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Exit, Fiber, Layer, References, Scope } from "effect"
import * as fs from "node:fs/promises"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { SmtpServer } from "../src/index.ts"
import { acceptDomain, recorder } from "./helpers.ts"

const quiet = Effect.provideService(References.MinimumLogLevel, "None")

describe("self-signed development certificate", () => {
  it.live("is generated once in <dataDir>/tls and reused", () =>
    Effect.gen(function*() {
      const dir = yield* Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "cartero-cert-")))
      const start = Effect.gen(function*() {
        const server = yield* SmtpServer.SmtpServer
        return server.address("mx")
      }).pipe(
        Effect.provide(
          SmtpServer.SmtpServer.layerTest({ tls: { selfSigned: { dataDir: dir } } }).pipe(Layer.provide(Pipeline.Pipeline.layer([])))
        ),
        quiet
      )
      yield* start
      const cert1 = yield* Effect.promise(() => fs.readFile(path.join(dir, "tls", "selfsigned-cert.pem"), "utf8"))
      const mode = (yield* Effect.promise(() => fs.stat(path.join(dir, "tls", "selfsigned-key.pem")))).mode & 0o777
      yield* start
      const cert2 = yield* Effect.promise(() => fs.readFile(path.join(dir, "tls", "selfsigned-cert.pem"), "utf8"))
      yield* Effect.promise(() => fs.rm(dir, { recursive: true, force: true }))
      assert.match(cert1, /^-----BEGIN CERTIFICATE-----/)
      assert.strictEqual(cert1, cert2)
      assert.strictEqual(mode, 0o600)
    }), 30_000)
})

describe("start-up errors", () => {
  it.live("a port in use fails with SmtpServerError(Listen)", () =>
    Effect.gen(function*() {
      const blocker = net.createServer()
      const port = yield* Effect.callback<number>((resume) => {
        blocker.listen(0, "127.0.0.1", () => {
          const a = blocker.address()
          resume(Effect.succeed(typeof a === "object" && a !== null ? a.port : 0))
        })
      })
      const error = yield* Effect.flip(
        Effect.gen(function*() {
          yield* SmtpServer.SmtpServer
        }).pipe(
          Effect.provide(
            SmtpServer.SmtpServer.layerTest({ listeners: [{ kind: "mx", host: "127.0.0.1", port }] }).pipe(
              Layer.provide(Pipeline.Pipeline.layer([]))
            )
          ),
          quiet
        )
      )
      yield* Effect.callback<void>((resume) => {
        blocker.close(() => resume(Effect.void))
      })
      assert.strictEqual(error._tag, "SmtpServerError")
      assert.strictEqual(error.reason, "Listen")
    }))

  it.live("an smtps listener without TLS material fails with SmtpServerError(Tls)", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Effect.gen(function*() {
          yield* SmtpServer.SmtpServer
        }).pipe(
          Effect.provide(
            SmtpServer.SmtpServer.layerTest({ listeners: [{ kind: "smtps", port: 0 }] }).pipe(Layer.provide(Pipeline.Pipeline.layer([])))
          ),
          quiet
        )
      )
      assert.strictEqual(error.reason, "Tls")
    }))
})

describe("graceful shutdown", () => {
  it.live("stops accepting, lets a session in progress finish, then closes", () =>
    Effect.gen(function*() {
      const rec = recorder()
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(
        SmtpServer.SmtpServer.layerTest({ shutdownTimeout: "5 seconds" }).pipe(
          Layer.provide(Pipeline.Pipeline.layer([acceptDomain("example.test"), rec.plugin]))
        ),
        scope
      ).pipe(quiet)
      const server = Context.get(context, SmtpServer.SmtpServer)
      const mx = server.address("mx")
      const port = mx?.port ?? 0
      yield* Effect.scoped(Effect.gen(function*() {
        const client = yield* SmtpTestClient.connect({ host: "127.0.0.1", port, timeout: "3 seconds" })
        yield* client.readReply()
        yield* client.command("EHLO client.test")
        yield* client.command("MAIL FROM:<alice@sender.test>")
        // Shutdown starts while the transaction is open.
        const closing = yield* Effect.forkChild(Scope.close(scope, Exit.void))
        yield* Effect.sleep("100 millis")
        const refused = yield* Effect.exit(SmtpTestClient.connect({ host: "127.0.0.1", port, timeout: "1 second" }))
        assert.isTrue(Exit.isFailure(refused), "new connections are refused during shutdown")
        assert.strictEqual((yield* client.command("RCPT TO:<bob@example.test>")).reply.code, 250)
        assert.strictEqual((yield* client.command("DATA")).reply.code, 354)
        assert.strictEqual((yield* client.command("Subject: last\r\n\r\nbye\r\n.")).reply.code, 250)
        yield* client.command("QUIT")
        const started = Date.now()
        yield* Fiber.join(closing)
        assert.isBelow(Date.now() - started, 3000, "close completes once the last session ended")
      }))
      assert.strictEqual(rec.messages.length, 1)
    }))

  it.live("an idle session is told 421 4.3.2 at once and the close does not wait for it", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(
        SmtpServer.SmtpServer.layerTest({ shutdownTimeout: "5 seconds" }).pipe(Layer.provide(Pipeline.Pipeline.layer([]))),
        scope
      ).pipe(quiet)
      const port = Context.get(context, SmtpServer.SmtpServer).address("mx")?.port ?? 0
      yield* Effect.scoped(Effect.gen(function*() {
        const client = yield* SmtpTestClient.connect({ host: "127.0.0.1", port, timeout: "3 seconds" })
        yield* client.readReply()
        yield* client.command("EHLO client.test")
        const started = Date.now()
        const closing = yield* Effect.forkChild(Scope.close(scope, Exit.void))
        const reply = yield* client.readReply()
        assert.deepStrictEqual(reply.lines, ["421 4.3.2 Service shutting down, please try again later"])
        yield* client.expectClose()
        yield* client.close
        yield* Fiber.join(closing)
        assert.isBelow(Date.now() - started, 3000)
      }))
    }))
})

