import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Exit, Layer, Redacted } from "effect"
import { TestTls } from "@cartero/testing"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DeliveryConfig, tlsFor } from "../src/DeliveryConfig.ts"

const read = (env: Record<string, string>) =>
  Effect.exit(Effect.gen(function*() {
    return yield* DeliveryConfig
  }).pipe(
    Effect.provide(DeliveryConfig.layerConfig.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))))
  ))

describe("DeliveryConfig", () => {
  it.effect("defaults and every variable", () =>
    Effect.gen(function*() {
      const d = yield* read({ CARTERO_HOSTNAME: "mx.example.com" })
      assert.isTrue(Exit.isSuccess(d))
      if (Exit.isSuccess(d)) {
        assert.strictEqual(d.value.port, 25)
        assert.strictEqual(d.value.tls, "opportunistic")
        assert.strictEqual(d.value.destinationConcurrency, 20)
        assert.strictEqual(d.value.maxConnections, 100)
        assert.strictEqual(d.value.maxHops, 100)
        assert.isUndefined(d.value.staticRoutes.smarthost)
      }
      const all = yield* read({
        CARTERO_HOSTNAME: "MX.Example.com",
        CARTERO_SELF_NAMES: "mail.example.com, mx2.example.com",
        CARTERO_SELF_ADDRESSES: "192.0.2.1,2001:db8::1",
        CARTERO_OUTBOUND_PORT: "2525",
        CARTERO_SMARTHOST: "smtp.relay.test:587",
        CARTERO_STATIC_ROUTES: "example.org=[10.0.0.5]:25",
        CARTERO_OUTBOUND_TLS: "required",
        CARTERO_OUTBOUND_ADDRESS_PREFERENCE: "ipv4",
        CARTERO_DELIVERY_WORKERS: "8",
        CARTERO_DESTINATION_CONCURRENCY: "2",
        CARTERO_DESTINATION_RATE_DELAY: "500ms",
        CARTERO_MAX_CONNECTIONS: "10",
        CARTERO_MAX_HOPS: "50"
      })
      assert.isTrue(Exit.isSuccess(all))
      if (Exit.isSuccess(all)) {
        const s = all.value
        assert.strictEqual(s.hostname, "mx.example.com")
        assert.deepStrictEqual(s.selfNames, ["mail.example.com", "mx2.example.com"])
        assert.deepStrictEqual(s.selfAddresses, ["192.0.2.1", "2001:db8::1"])
        assert.strictEqual(s.port, 2525)
        assert.strictEqual(s.maxHops, 50)
        assert.deepStrictEqual(s.staticRoutes.smarthost, { host: "smtp.relay.test", port: 587 })
        assert.deepStrictEqual(s.staticRoutes.domains.get("example.org"), { host: "10.0.0.5", port: 25 })
        assert.deepStrictEqual([s.tls, s.addressPreference, s.workers, s.destinationConcurrency, s.maxConnections], ["required", "ipv4", 8, 2, 10])
        assert.strictEqual(Duration.toMillis(s.destinationRateDelay), 500)
        assert.deepStrictEqual(tlsFor(s), { mode: "required", verify: true })
      }
    }))

  it.effect("a bad value fails with a message naming the variable", () =>
    Effect.gen(function*() {
      for (const [name, value] of [
        ["CARTERO_OUTBOUND_PORT", "abc"],
        ["CARTERO_OUTBOUND_PORT", "0"],
        ["CARTERO_SMARTHOST", "bad host:25"],
        ["CARTERO_OUTBOUND_TLS", "sometimes"],
        ["CARTERO_DESTINATION_CONCURRENCY", "0"],
        ["CARTERO_MAX_CONNECTIONS", "-1"],
        ["CARTERO_MAX_HOPS", "0"],
        ["CARTERO_SELF_ADDRESSES", "not-an-ip"],
        ["CARTERO_STATIC_ROUTES", "example.org"]
      ] as const) {
        const exit = yield* read({ [name]: value })
        assert.isTrue(Exit.isFailure(exit), `${name}=${value}`)
        assert.include(String(Exit.isFailure(exit) ? exit.cause : ""), name)
      }
    }))

  it.effect("smarthost credentials: both variables, only with a smarthost; the password stays Redacted", () =>
    Effect.gen(function*() {
      const ok = yield* read({ CARTERO_SMARTHOST: "smtp.relay.test:587", CARTERO_SMARTHOST_USER: "relay", CARTERO_SMARTHOST_PASSWORD: "s3cret" })
      assert.isTrue(Exit.isSuccess(ok))
      if (Exit.isSuccess(ok)) {
        const smarthost = ok.value.staticRoutes.smarthost
        assert.deepStrictEqual([smarthost?.host, smarthost?.port, smarthost?.auth?.user], ["smtp.relay.test", 587, "relay"])
        assert.strictEqual(smarthost?.auth?.allowPlaintextAuth, undefined, "plaintext AUTH is never enabled from the environment")
        assert.strictEqual(Redacted.value(smarthost?.auth?.password ?? Redacted.make("")), "s3cret")
        assert.notInclude(JSON.stringify(ok.value), "s3cret")
        assert.notInclude(String(smarthost?.auth?.password), "s3cret")
      }
      const empty = yield* read({ CARTERO_SMARTHOST: "smtp.relay.test", CARTERO_SMARTHOST_USER: "", CARTERO_SMARTHOST_PASSWORD: "" })
      assert.isTrue(Exit.isSuccess(empty) && empty.value.staticRoutes.smarthost?.auth === undefined, "empty values count as unset")
      for (const [env, name] of [
        [{ CARTERO_SMARTHOST: "smtp.relay.test", CARTERO_SMARTHOST_USER: "relay" }, "CARTERO_SMARTHOST_PASSWORD"],
        [{ CARTERO_SMARTHOST: "smtp.relay.test", CARTERO_SMARTHOST_PASSWORD: "s3cret" }, "CARTERO_SMARTHOST_USER"],
        [{ CARTERO_SMARTHOST_USER: "relay", CARTERO_SMARTHOST_PASSWORD: "s3cret" }, "CARTERO_SMARTHOST is not set"]
      ] as const) {
        const exit = yield* read(env)
        assert.isTrue(Exit.isFailure(exit), JSON.stringify(env))
        const text = String(Exit.isFailure(exit) ? exit.cause : "")
        assert.include(text, name)
        assert.notInclude(text, "s3cret")
      }
    }))

  it.effect("the smarthost's CAs and the loudly named opt-out of its verification", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "cartero-ca-"))
      const ca = join(dir, "ca.pem")
      writeFileSync(ca, TestTls.cert)
      const relay = { CARTERO_SMARTHOST: "smtp.relay.test:587", CARTERO_SMARTHOST_USER: "relay", CARTERO_SMARTHOST_PASSWORD: "s3cret" }
      const plain = yield* read(relay)
      assert.isTrue(Exit.isSuccess(plain) && plain.value.staticRoutes.smarthost?.auth?.allowUnverifiedPeer === undefined, "verified by default")
      const trusted = yield* read({ ...relay, CARTERO_SMARTHOST_CA: ca })
      const tls = Exit.isSuccess(trusted) ? trusted.value.staticRoutes.smarthost?.tls : undefined
      assert.deepStrictEqual([tls?.mode, tls?.ca], ["opportunistic", TestTls.cert])
      const optOut = yield* read({ ...relay, CARTERO_SMARTHOST_PASSWORD_TO_UNVERIFIED_PEER: "yes" })
      assert.isTrue(Exit.isSuccess(optOut) && optOut.value.staticRoutes.smarthost?.auth?.allowUnverifiedPeer === true)
      for (const [env, text] of [
        [{ ...relay, CARTERO_SMARTHOST_CA: join(dir, "missing.pem") }, `CARTERO_SMARTHOST_CA: expected a readable PEM file, got "${join(dir, "missing.pem")}"`],
        [{ CARTERO_SMARTHOST_CA: ca }, "CARTERO_SMARTHOST_CA: given but CARTERO_SMARTHOST is not set"],
        [{ ...relay, CARTERO_SMARTHOST_PASSWORD_TO_UNVERIFIED_PEER: "maybe" }, "CARTERO_SMARTHOST_PASSWORD_TO_UNVERIFIED_PEER: expected true or false"]
      ] as const) {
        const exit = yield* read(env)
        assert.include(String(Exit.isFailure(exit) ? exit.cause : ""), text)
      }
      rmSync(dir, { recursive: true, force: true })
    }))
})
