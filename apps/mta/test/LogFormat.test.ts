/** The app's line formats: one value per key in logfmt, `message` one string in JSON, whatever the log call passes. */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Logger, References } from "effect"
import * as LogFormat from "../src/LogFormat.ts"

/** Runs `log` with `format` as the only logger; the lines it wrote. */
const linesOf = (format: Logger.Logger<unknown, string>, log: Effect.Effect<void>) =>
  Effect.gen(function*() {
    const lines: Array<string> = []
    yield* log.pipe(
      Effect.provide(Logger.layer([Logger.map(format, (line) => void lines.push(line))])),
      Effect.provideService(References.MinimumLogLevel, "Debug")
    )
    return lines
  })

const keys = (line: string): Array<string> => [...line.matchAll(/(?:^| )([^\s=]+)=/g)].map((m) => m[1] ?? "")

// Several message arguments, an annotation named like a built-in key, and an error as an argument.
const awkward = Effect.logInfo("connect failed", "mx.test[127.0.0.1]", new Error("ECONNREFUSED")).pipe(
  Effect.annotateLogs({ message: "shadow", level: "x", to: "<a@b.test>" })
)

describe("LogFormat", () => {
  it.effect("logfmt: one message=, extra arguments in detail=, built-in keys not repeated", () =>
    Effect.gen(function*() {
      const [line] = yield* linesOf(LogFormat.logfmt, awkward)
      assert.deepStrictEqual(keys(line ?? ""), ["timestamp", "level", "fiber", "message", "to", "detail"])
      assert.include(line, `message="connect failed"`)
      assert.include(line, `detail="mx.test[127.0.0.1]; Error: ECONNREFUSED"`)
      assert.include(line, "level=INFO")
      assert.include(line, "to=<a@b.test>")
    }))

  it.effect("logfmt: a cause is one cause= key", () =>
    Effect.gen(function*() {
      const [line] = yield* linesOf(LogFormat.logfmt, Effect.logError("failed", Cause.fail("boom")))
      assert.deepStrictEqual(keys(line ?? ""), ["timestamp", "level", "fiber", "message", "cause"])
    }))

  it.effect("JSON: message is one string, annotations and spans objects, no cause key without a cause", () =>
    Effect.gen(function*() {
      const [line] = yield* linesOf(LogFormat.json, awkward)
      const parsed = JSON.parse(line ?? "{}") as Record<string, unknown>
      assert.deepStrictEqual(Object.keys(parsed), ["message", "level", "timestamp", "annotations", "spans", "fiberId"])
      assert.strictEqual(parsed["message"], "connect failed")
      assert.deepStrictEqual(parsed["annotations"], {
        message: "shadow",
        level: "x",
        to: "<a@b.test>",
        detail: "mx.test[127.0.0.1]; Error: ECONNREFUSED"
      })
      assert.deepStrictEqual(parsed["spans"], {})
    }))

  it.effect("JSON: a cause is one string", () =>
    Effect.gen(function*() {
      const [line] = yield* linesOf(LogFormat.json, Effect.logError("failed", Cause.fail("boom")))
      const parsed = JSON.parse(line ?? "{}") as Record<string, unknown>
      assert.deepStrictEqual(Object.keys(parsed), ["message", "level", "timestamp", "cause", "annotations", "spans", "fiberId"])
      assert.strictEqual(typeof parsed["cause"], "string")
    }))
})
