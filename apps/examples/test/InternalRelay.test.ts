import { OutboundPipeline } from "@cartero/delivery"
import { TestSession } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as InternalRelay from "../src/InternalRelay.ts"

describe("InternalRelay (docs/writing-a-plugin.md)", () => {
  it.effect("routes its domain to the relay and tags what goes there; other domains keep MX routing", () =>
    Effect.gen(function*() {
      const pipeline = yield* OutboundPipeline.OutboundPipeline
      const internal = yield* pipeline.route(TestSession.claim(["bob@corp.example"]))
      assert.deepStrictEqual(internal._tag === "Accept" ? internal.value : [], [{ host: "10.0.0.25" }])
      assert.strictEqual((yield* pipeline.route(TestSession.claim(["bob@elsewhere.example"])))._tag, "Continue")
      const headers = yield* pipeline.beforeSend(TestSession.send(["bob@corp.example"], "Subject: hi\r\n\r\nHello.\r\n"))
      assert.deepStrictEqual(headers, [{ name: "X-Internal-Relay", value: "10.0.0.25" }])
    }).pipe(Effect.provide(OutboundPipeline.OutboundPipeline.layer([InternalRelay.plugin({ domain: "corp.example", relay: "10.0.0.25" })]))))
})
