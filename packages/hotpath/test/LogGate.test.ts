import { assert, describe, it } from "@effect/vitest"
import { Effect, References } from "effect"
import * as LogGate from "../src/LogGate.ts"

describe("LogGate.whenEnabled", () => {
  const attempt = (level: "Debug" | "Info", minimum: "Debug" | "Info" | "Warn") =>
    Effect.gen(function*() {
      let built = 0
      yield* LogGate.whenEnabled(level, () => {
        built++
        return Effect.void
      }).pipe(Effect.provideService(References.MinimumLogLevel, minimum))
      return built
    })

  it.effect("builds the log line when its level is enabled", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* attempt("Debug", "Debug"), 1)
      assert.strictEqual(yield* attempt("Info", "Debug"), 1)
      assert.strictEqual(yield* attempt("Info", "Info"), 1)
    }))

  it.effect("builds nothing below the minimum level", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* attempt("Debug", "Info"), 0)
      assert.strictEqual(yield* attempt("Info", "Warn"), 0)
    }))
})
