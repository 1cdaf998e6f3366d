import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect } from "effect"
import { HttpConfig } from "../src/index.ts"

const load = (env: Record<string, string>) =>
  HttpConfig.load.pipe(Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env }))))

describe("HttpConfig", () => {
  it("knows loopback addresses", () => {
    for (const h of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "::ffff:127.0.0.1"]) assert.isTrue(HttpConfig.isLoopback(h), h)
    for (const h of ["0.0.0.0", "::", "192.0.2.1", "10.0.0.1", "example.test", "::ffff:10.0.0.1"]) assert.isFalse(HttpConfig.isLoopback(h), h)
  })

  it.effect("off without CARTERO_HTTP_PORT; loopback without credentials by default", () =>
    Effect.gen(function*() {
      assert.isUndefined(yield* load({}))
      assert.deepStrictEqual(yield* load({ CARTERO_HTTP_PORT: "8025" }), { host: "127.0.0.1", port: 8025, auth: "none", tls: undefined })
      assert.strictEqual((yield* load({ CARTERO_HTTP_PORT: "0", CARTERO_HTTP_AUTH: "required" }))?.auth, "basic")
    }))

  it.effect("beyond loopback: credentials always, and TLS or an explicit plaintext opt-in", () =>
    Effect.gen(function*() {
      const refused = yield* Effect.flip(load({ CARTERO_HTTP_PORT: "8025", CARTERO_HTTP_HOST: "0.0.0.0" }))
      assert.strictEqual(refused._tag, "HttpConfigError")
      assert.include(refused.message, "CARTERO_HTTP_PLAINTEXT")
      const plain = yield* load({ CARTERO_HTTP_PORT: "8025", CARTERO_HTTP_HOST: "0.0.0.0", CARTERO_HTTP_PLAINTEXT: "true" })
      assert.deepStrictEqual(plain, { host: "0.0.0.0", port: 8025, auth: "basic", tls: undefined })
      const tls = yield* load({ CARTERO_HTTP_PORT: "8025", CARTERO_HTTP_HOST: "::", CARTERO_TLS_CERT: "/c.pem", CARTERO_TLS_KEY: "/k.pem" })
      assert.deepStrictEqual(tls, { host: "::", port: 8025, auth: "basic", tls: { certFile: "/c.pem", keyFile: "/k.pem" } })
    }))

  it.effect("bad values name the variable", () =>
    Effect.gen(function*() {
      assert.include((yield* Effect.flip(load({ CARTERO_HTTP_PORT: "http" }))).message, "CARTERO_HTTP_PORT: expected an integer 0-65535")
      assert.include((yield* Effect.flip(load({ CARTERO_HTTP_PORT: "1", CARTERO_HTTP_AUTH: "off" }))).message, "CARTERO_HTTP_AUTH: expected auto or required")
    }))
})
