import { assert, describe, it } from "@effect/vitest"
import { SmtpSink } from "@cartero/testing"
import { ConfigProvider, Effect, Layer } from "effect"
import { SmtpClient } from "../src/SmtpClient.ts"
import { clientOptions, envelope, message } from "./support/fixtures.ts"

describe("SmtpClient service", () => {
  it.live("is provided by SmtpClient.layer and used as a service", () =>
    Effect.gen(function*() {
      const sink = yield* SmtpSink.make()
      const result = yield* SmtpClient.use((client) =>
        client.send({ host: "127.0.0.1", port: sink.port, envelope: envelope(["a"]), message: message() })
      ).pipe(Effect.provide(SmtpClient.layer(clientOptions())))
      assert.strictEqual(result.recipients[0]?._tag, "Delivered")
    }))

  it.live("layerConfig reads its settings from Config", () =>
    Effect.gen(function*() {
      const sink = yield* SmtpSink.make()
      const env = { SMTP_CLIENT_HELO_NAME: "configured.test", SMTP_CLIENT_TLS: "none", SMTP_CLIENT_IDLE_TIMEOUT: "1 second" }
      const stats = yield* Effect.gen(function*() {
        const client = yield* SmtpClient
        yield* client.send({ host: "127.0.0.1", port: sink.port, envelope: envelope(["a"]), message: message() })
        return yield* client.stats
      }).pipe(Effect.provide(SmtpClient.layerConfig.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env }))))))
      assert.strictEqual(stats.opened, 1)
      assert.strictEqual((yield* sink.awaitMessages(1))[0]?.helo, "configured.test")
    }))
})
