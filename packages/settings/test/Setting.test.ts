import { assert, describe, it } from "@effect/vitest"
import { Config, ConfigProvider, Duration, Effect, Exit } from "effect"
import * as Setting from "../src/Setting.ts"

const withEnv = (env: Record<string, string>) => Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))
const millis = (raw: string): number | undefined => {
  const d = Setting.duration(raw)
  return d === undefined ? undefined : Duration.toMillis(d)
}

describe("Setting.InvalidSetting", () => {
  it.effect("names the variable, what was expected and what was got", () =>
    Effect.sync(() => {
      const error = new Setting.InvalidSetting({ variable: "CARTERO_SMTP_PORT", expected: "an integer 0-65535", got: "abc" })
      assert.strictEqual(error._tag, "InvalidSetting")
      assert.strictEqual(error.message, `CARTERO_SMTP_PORT: expected an integer 0-65535, got "abc"`)
      assert.strictEqual(new Setting.InvalidSetting({ variable: "X", expected: "y", got: "a\"b\n" }).message, `X: expected y, got "a\\"b\\n"`)
    }))
})

describe("Setting.optional / withDefault", () => {
  const port = Setting.optional("PORT", "an integer 0-65535", Setting.int(0, 65535))

  it.effect("unset is undefined (or the fallback)", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* port, undefined)
      assert.strictEqual(yield* Setting.withDefault("PORT", "an integer 0-65535", Setting.int(0, 65535), 2525), 2525)
    }).pipe(withEnv({})))

  it.effect("a good value is parsed", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* port, 25)
      assert.strictEqual(yield* Setting.withDefault("PORT", "an integer 0-65535", Setting.int(0, 65535), 2525), 25)
    }).pipe(withEnv({ PORT: " 25 " })))

  it.effect("a bad value fails with InvalidSetting carrying the raw text", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(port)
      assert.strictEqual(error._tag, "InvalidSetting")
      if (error._tag === "InvalidSetting") assert.deepStrictEqual([error.variable, error.expected, error.got], ["PORT", "an integer 0-65535", " abc"])
      assert.strictEqual(error.message, `PORT: expected an integer 0-65535, got " abc"`)
    }).pipe(withEnv({ PORT: " abc" })))

  it.effect("an empty variable counts as unset (the environment provider reports it so)", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* port, undefined)
    }).pipe(withEnv({ PORT: "" })))
})

describe("Setting.config", () => {
  const port = Setting.config("PORT", "an integer 0-65535", Setting.int(0, 65535))

  it.effect("is absent when unset, so Config.withDefault and Config.option apply", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* port.pipe(Config.withDefault(2525)), 2525)
      assert.strictEqual((yield* Config.option(port))._tag, "None")
    }).pipe(withEnv({})))

  it.effect("a good value is parsed, inside Config.all too", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* port.pipe(Config.withDefault(2525)), 25)
      assert.deepStrictEqual(yield* Config.all({ port, other: Config.String("OTHER").pipe(Config.withDefault("x")) }), { port: 25, other: "x" })
    }).pipe(withEnv({ PORT: "25" })))

  it.effect("a bad value fails with a ConfigError whose message is the setting's", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(port.pipe(Config.withDefault(2525)))
      assert.isTrue(Exit.isFailure(exit), "a default does not hide a bad value")
      const error = yield* Effect.flip(Config.option(port))
      assert.strictEqual(error._tag, "ConfigError")
      assert.strictEqual(error.cause.message, `PORT: expected an integer 0-65535, got "70000"`)
      assert.instanceOf(error.cause.cause, Setting.InvalidSetting)
    }).pipe(withEnv({ PORT: "70000" })))
})

describe("Setting parsers", () => {
  it.effect("int: decimal digits within the bounds", () =>
    Effect.sync(() => {
      const port = Setting.int(0, 65535)
      assert.deepStrictEqual(["0", "25", " 65535 ", "65536", "-1", "1.5", "1e3", "", "abc", "0x10"].map(port), [
        0,
        25,
        65535,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined
      ])
    }))

  it.effect("size: bytes or a binary suffix, more than zero", () =>
    Effect.sync(() => {
      assert.strictEqual(Setting.size("1024"), 1024)
      assert.strictEqual(Setting.size("512K"), 512 * 1024)
      assert.strictEqual(Setting.size("512kb"), 512 * 1024)
      assert.strictEqual(Setting.size("25m"), 25 * 1024 * 1024)
      assert.strictEqual(Setting.size("10MiB"), 10 * 1024 * 1024)
      assert.strictEqual(Setting.size(" 1GB "), 1024 ** 3)
      for (const bad of ["1.5M", "0", "0K", "", "lots", "10T", "-1"]) assert.strictEqual(Setting.size(bad), undefined, bad)
    }))

  it.effect("duration: ms/s/m/h/d/w, decimals, a bare number is seconds", () =>
    Effect.sync(() => {
      assert.strictEqual(millis("1500ms"), 1500)
      assert.strictEqual(millis("30s"), 30_000)
      assert.strictEqual(millis("300"), 300_000)
      assert.strictEqual(millis("5m"), 300_000)
      assert.strictEqual(millis(" 2 H "), 7_200_000)
      assert.strictEqual(millis("1.5h"), 5_400_000)
      assert.strictEqual(millis("5d"), 5 * 86_400_000)
      assert.strictEqual(millis("1w"), 7 * 86_400_000)
      assert.strictEqual(millis("0"), 0)
      for (const bad of ["", "soon", "1y", "-1m", "5 minutes", "1m,5m"]) assert.strictEqual(Setting.duration(bad), undefined, bad)
    }))

  it.effect("boolean: true/false, yes/no, on/off, 1/0, any case", () =>
    Effect.sync(() => {
      assert.deepStrictEqual(["true", "YES", " on ", "1"].map(Setting.boolean), [true, true, true, true])
      assert.deepStrictEqual(["false", "No", "off", "0"].map(Setting.boolean), [false, false, false, false])
      assert.deepStrictEqual(["maybe", "", "2"].map(Setting.boolean), [undefined, undefined, undefined])
    }))

  it.effect("list: comma separated, trimmed, empty items dropped", () =>
    Effect.sync(() => {
      assert.deepStrictEqual(Setting.list("a, b ,,c,"), ["a", "b", "c"])
      assert.deepStrictEqual(Setting.list(""), [])
      assert.deepStrictEqual(Setting.list(" , "), [])
      assert.deepStrictEqual(Setting.list("Example.COM"), ["Example.COM"])
    }))

  it.effect("oneOf and choice: trimmed, case-insensitive, own names only", () =>
    Effect.sync(() => {
      const tls = Setting.oneOf(["none", "required"])
      assert.deepStrictEqual([tls(" Required "), tls("none"), tls("sometimes")], ["required", "none", undefined])
      const level = Setting.choice({ warn: "Warn", warning: "Warn" })
      assert.deepStrictEqual([level("WARNING"), level("warn"), level("loud"), level("constructor")], ["Warn", "Warn", undefined, undefined])
    }))
})
