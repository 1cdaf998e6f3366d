import { assert, describe, it } from "@effect/vitest"
import { Cause, Config, ConfigProvider, Effect, Exit, Layer } from "effect"
import * as Path from "node:path"
import { AppConfig } from "../src/AppConfig.ts"
import * as ProcessExit from "../src/ProcessExit.ts"

const read = (env: Record<string, string>) =>
  Effect.gen(function*() {
    return yield* AppConfig
  }).pipe(
    Effect.provide(AppConfig.layer.pipe(Layer.provide(AppConfig.layerProvider()), Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))))
  )

describe("AppConfig", () => {
  it.effect("defaults: info, logfmt, localhost, ./data/mail", () =>
    Effect.gen(function*() {
      const config = yield* read({})
      assert.deepStrictEqual(config, {
        logLevel: "Info",
        logFormat: "logfmt",
        localDomains: ["localhost"],
        maildirRoot: Path.resolve("data/mail")
      })
    }))

  it.effect("reads overrides, case-insensitively for levels and formats", () =>
    Effect.gen(function*() {
      const config = yield* read({
        CARTERO_LOG_LEVEL: "WARNING",
        CARTERO_LOG_FORMAT: "JSON",
        CARTERO_LOCAL_DOMAINS: "Example.COM,bücher.example",
        CARTERO_DATA_DIR: "/srv/cartero"
      })
      assert.strictEqual(config.logLevel, "Warn")
      assert.strictEqual(config.logFormat, "json")
      assert.deepStrictEqual(config.localDomains, ["example.com", "xn--bcher-kva.example"])
      assert.strictEqual(config.maildirRoot, "/srv/cartero/mail")
      assert.strictEqual((yield* read({ CARTERO_MAILDIR_ROOT: "/var/mail/x" })).maildirRoot, "/var/mail/x")
    }))

  it.effect.each([
    ["CARTERO_LOG_LEVEL", "loud", "CARTERO_LOG_LEVEL: expected one of trace, debug, info, warn, error, fatal, none, got \"loud\""],
    ["CARTERO_LOG_FORMAT", "xml", "CARTERO_LOG_FORMAT: expected logfmt or json, got \"xml\""],
    ["CARTERO_LOCAL_DOMAINS", "not a domain", "CARTERO_LOCAL_DOMAINS: expected a comma-separated list of domain names; \"not a domain\" is not a domain name"]
  ] as const)("%s=%s is refused with a one-line message", ([variable, value, message]) =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(read({ [variable]: value }))
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) {
        const error = Cause.findErrorOption(exit.cause)
        assert.isTrue(error._tag === "Some")
        if (error._tag === "Some") assert.strictEqual(ProcessExit.describe(error.value), message)
      }
    }))
})

describe("ProcessExit", () => {
  it.effect("teardown: a signal (interrupt) is 0, a failure is 1", () =>
    Effect.sync(() => {
      const codes: Array<number> = []
      ProcessExit.teardown(Exit.interrupt(1), (c) => codes.push(c))
      ProcessExit.teardown(Exit.fail("boom"), (c) => codes.push(c))
      ProcessExit.teardown(Exit.die(new Error("bug")), (c) => codes.push(c))
      ProcessExit.teardown(Exit.void, (c) => codes.push(c))
      assert.deepStrictEqual(codes, [0, 1, 1, 0])
    }))

  it.effect("describe flattens schema errors onto one line", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(
        Effect.gen(function*() {
          return yield* Config.Int("X")
        }).pipe(Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { X: "abc" } }))))
      )
      const error = Exit.isFailure(exit) ? Cause.findErrorOption(exit.cause) : undefined
      assert.isTrue(error?._tag === "Some")
      if (error?._tag === "Some") {
        const line = ProcessExit.describe(error.value)
        assert.notInclude(line, "\n")
        assert.include(line, "X")
      }
    }))
})
