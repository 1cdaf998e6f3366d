/**
 * Property: whatever bytes a client sends (pipelined, in any pieces, up to a few KiB), the server answers with
 * well-formed reply lines and closes the connection once the client says QUIT (or drops it), never crashes nor
 * hangs, and goes on serving other clients. The long run of the same check is `pnpm --filter @cartero/server fuzz`.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, References } from "effect"
import fc from "fast-check"
import * as Commands from "../fuzz/Commands.ts"
import * as FuzzClient from "../fuzz/FuzzClient.ts"
import * as FuzzServer from "../fuzz/FuzzServer.ts"
import { SmtpServer } from "../src/index.ts"

describe("fuzzing the command parser (property, bounded)", () => {
  it.live("arbitrary input gets well-formed replies and a close; a fresh client is still served", () =>
    Effect.gen(function*() {
      const server = yield* SmtpServer.SmtpServer
      const targets = server.listeners.map((l): FuzzClient.Target => ({ host: l.host, port: l.port }))
      yield* Effect.tryPromise(() =>
        fc.assert(
          fc.asyncProperty(Commands.payload, fc.constantFrom(...targets), async (pieces, target) => {
            const { problem, received } = await FuzzClient.exchange(target, pieces, 5000)
            if (problem !== undefined) {
              throw new Error(`${problem}\nsent: ${Commands.show(pieces)}\nreceived: ${JSON.stringify(received)}`)
            }
          }),
          { numRuns: 40, endOnFailure: true }
        )
      )
      for (const target of targets) assert.isUndefined(yield* Effect.promise(() => FuzzClient.healthy(target, 5000)))
    }).pipe(Effect.provide(FuzzServer.layer()), Effect.provideService(References.MinimumLogLevel, "None")))

  it("the reply check refuses what it must", () => {
    assert.isUndefined(FuzzClient.check("220 mx.test ESMTP\r\n250-a\r\n250 b\r\n221 2.0.0 Bye\r\n"))
    assert.isUndefined(FuzzClient.check("421 4.7.0 Error: too many connections from 127.0.0.1\r\n"))
    assert.isDefined(FuzzClient.check(""))
    assert.isDefined(FuzzClient.check("220 ok\r\n250 half"))
    assert.isDefined(FuzzClient.check("220 ok\r\n250 caf\u00e9\r\n"))
    assert.isDefined(FuzzClient.check("220 ok\r\n600 no\r\n"))
    assert.isDefined(FuzzClient.check("250 not a banner\r\n"))
  })
})
