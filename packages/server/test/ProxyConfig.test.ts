/**
 * The PROXY protocol settings: `CARTERO_PROXY_PROTOCOL_LISTENERS`, `CARTERO_PROXY_TRUSTED`, `CARTERO_PROXY_TIMEOUT`,
 * and a server refusing to start with a trusted list it cannot use.
 */
import { Pipeline } from "@cartero/core"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, References } from "effect"
import { ServerConfig, SmtpServer } from "../src/index.ts"

const withEnv = (env: Record<string, string>) => Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))

describe("PROXY protocol settings", () => {
  it.effect("read from the environment; off when no listener is named", () =>
    Effect.gen(function*() {
      const options = yield* ServerConfig.load
      assert.deepStrictEqual(options.proxyProtocol, {
        listeners: ["mx", "submission"],
        trusted: ["10.0.0.0/8", "::1"],
        timeout: 2000
      })
      const off = yield* ServerConfig.load.pipe(withEnv({ CARTERO_PROXY_TRUSTED: "10.0.0.0/8" }))
      assert.strictEqual(off.proxyProtocol, undefined)
    }).pipe(withEnv({
      CARTERO_PROXY_PROTOCOL_LISTENERS: "mx, submission",
      CARTERO_PROXY_TRUSTED: "10.0.0.0/8,::1",
      CARTERO_PROXY_TIMEOUT: "2s"
    })))

  for (
    const [env, message] of [
      [
        { CARTERO_PROXY_PROTOCOL_LISTENERS: "mx" },
        `CARTERO_PROXY_TRUSTED: expected the load balancers' addresses (CARTERO_PROXY_PROTOCOL_LISTENERS is set), got ""`
      ],
      [
        { CARTERO_PROXY_PROTOCOL_LISTENERS: "mx,imap", CARTERO_PROXY_TRUSTED: "10.0.0.0/8" },
        `CARTERO_PROXY_PROTOCOL_LISTENERS: expected a comma-separated list of listener kinds (mx, submission, smtps), got "mx,imap"`
      ],
      [
        { CARTERO_PROXY_PROTOCOL_LISTENERS: "mx", CARTERO_PROXY_TRUSTED: "10.1.2.3/8" },
        `CARTERO_PROXY_TRUSTED: expected a comma-separated list of CIDR networks or addresses such as 10.0.0.0/8,::1, got "10.1.2.3/8"`
      ],
      [
        { CARTERO_PROXY_PROTOCOL_LISTENERS: "mx", CARTERO_PROXY_TRUSTED: "lb.example" },
        `CARTERO_PROXY_TRUSTED: expected a comma-separated list of CIDR networks or addresses such as 10.0.0.0/8,::1, got "lb.example"`
      ],
      [
        { CARTERO_PROXY_PROTOCOL_LISTENERS: "mx", CARTERO_PROXY_TRUSTED: "::1", CARTERO_PROXY_TIMEOUT: "5m" },
        `CARTERO_PROXY_TIMEOUT: expected a duration of at most 1m such as 5s, got "5m"`
      ]
    ] as const
  ) {
    it.effect(`refused: ${JSON.stringify(env)}`, () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(ServerConfig.load)
        assert.strictEqual(error.message, message)
      }).pipe(withEnv(env)))
  }

  it.effect("a server given an unusable trusted list does not start", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Effect.scoped(
        Effect.asVoid(SmtpServer.make({
          hostname: "mx.test",
          listeners: [{ kind: "mx", host: "127.0.0.1", port: 0 }],
          reverseDns: false,
          proxyProtocol: { listeners: ["mx"], trusted: ["10.0.0.1/8"] }
        }))
      ))
      assert.strictEqual(error._tag, "SmtpServerError")
      assert.include(error.message, "10.0.0.1/8")
    }).pipe(Effect.provide(Pipeline.Pipeline.layer([])), Effect.provideService(References.MinimumLogLevel, "None")))
})
