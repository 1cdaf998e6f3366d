import { Pipeline, type Plugin, type Session } from "@cartero/core"
import { SmtpReply, Verdict } from "@cartero/smtp"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Fiber, Layer, Logger, References, Result, Semaphore } from "effect"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import { Auth, PasswordHash, Users } from "../src/index.ts"
import { attempt, connection, fast, hashOf, tempDir, transaction } from "./Session.fixture.ts"

const wire = (verdict: Verdict.Verdict): string =>
  verdict._tag === "Continue" ? "Continue" : verdict._tag === "Accept" ? "Accept" : SmtpReply.toString(verdict.reply)

/** Builds the pipeline from `plugins` (in the given environment) and runs `f` against it. */
const withPipeline = <A, E>(
  plugins: ReadonlyArray<Plugin.Plugin<unknown>>,
  f: (pipeline: Pipeline.PipelineShape) => Effect.Effect<A, E>,
  env: Record<string, string> = {}
) =>
  Effect.gen(function*() {
    const built = yield* Layer.build(Pipeline.Pipeline.layer(plugins))
    return yield* Pipeline.Pipeline.use(f).pipe(Effect.provide(built))
  }).pipe(
    Effect.scoped,
    Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env }))),
    Effect.provideService(References.MinimumLogLevel, "None")
  )

/** MAIL FROM as the server runs it: the transaction's sender is also the hook's argument. */
const mailFrom = (p: Pipeline.PipelineShape, conn: Session.Connection, sender: string | null) => {
  const txn = transaction(conn, sender)
  return p.mailFrom(txn)
}

const users = Effect.gen(function*() {
  return [
    `alice@example.test:${yield* hashOf("s3cret")}:alice.smith@example.test`,
    `bot:${yield* hashOf("t0ken")}`
  ]
})

describe("Auth.plugin: auth", () => {
  it.live("right password accepts; wrong gets 535 5.7.8; unknown user continues to the default 535", () =>
    Effect.gen(function*() {
      const plugin = Auth.plugin({ users: yield* users })
      const results = yield* withPipeline([plugin], (p) =>
        Effect.all([
          p.auth(connection(), attempt("alice@example.test", "s3cret")),
          p.auth(connection(), attempt("ALICE@Example.Test", "s3cret")),
          p.auth(connection(), attempt("alice@example.test", "S3cret")),
          p.auth(connection(), attempt("mallory@example.test", "s3cret")),
          p.auth(connection(), attempt("not a name", "s3cret")),
          p.auth(connection(), attempt("bot", "t0ken"))
        ]))
      assert.deepStrictEqual(results.map(wire), [
        "Accept",
        "Accept",
        "535 5.7.8 Authentication credentials invalid",
        // The pipeline's default-deny: the very same reply as a wrong password.
        "535 5.7.8 Authentication credentials invalid",
        "535 5.7.8 Authentication credentials invalid",
        "Accept"
      ])
    }))

  it.live("the dummy hash of unknown users has the strongest parameters of the users file, not fixed defaults", () =>
    Effect.gen(function*() {
      const logs: Array<{ message: string; annotations: Record<string, unknown> }> = []
      const capture = Logger.make<unknown, void>((options) => {
        logs.push({
          message: String(Array.isArray(options.message) ? options.message[0] : options.message),
          annotations: options.fiber.getRef(References.CurrentLogAnnotations)
        })
      })
      const dummyOf = (lines: ReadonlyArray<string>) =>
        Effect.gen(function*() {
          logs.length = 0
          yield* Layer.build(Pipeline.Pipeline.layer([Auth.plugin({ users: lines })])).pipe(Effect.scoped)
          return logs.find((l) => l.message === "auth ready")?.annotations["dummy"]
        }).pipe(Effect.provide(Logger.layer([capture])), Effect.provideService(References.MinimumLogLevel, "Info"))
      // Users hashed with N=1024: before, unknown names were checked against N=16384 and answered 16 times slower.
      assert.strictEqual(yield* dummyOf(yield* users), "N=1024 r=8 p=1")
      const stronger = yield* PasswordHash.hash("pw", { ...fast, N: 2048 })
      assert.strictEqual(yield* dummyOf([...(yield* users), `carol@example.test:${stronger}`]), "N=2048 r=8 p=1")
      assert.isDefined(logs.find((l) => l.message.startsWith("the users file mixes scrypt parameters")))
      assert.strictEqual(yield* dummyOf([]), "N=16384 r=8 p=1")
    }))

  it.live("an unknown user costs a check too, and checks wait for a free slot of the pool (an AUTH flood is bounded)", () =>
    Effect.gen(function*() {
      const db = Result.getOrThrow(Users.make(Result.getOrThrow(Users.parseLines(yield* users, "users"))))
      const pool = yield* Semaphore.make(1)
      const hooks = Auth.hooks(db, { dummy: yield* PasswordHash.dummy(fast), pool }, true)
      const auth = hooks.auth
      if (auth === undefined) return assert.fail("no auth hook")
      yield* pool.take(1)
      const known = yield* Effect.forkChild(auth(connection(), attempt("alice@example.test", "s3cret")))
      const unknown = yield* Effect.forkChild(auth(connection(), attempt("nobody@example.test", "s3cret")))
      yield* Effect.sleep("150 millis")
      assert.isUndefined(known.pollUnsafe())
      assert.isUndefined(unknown.pollUnsafe())
      yield* pool.release(1)
      assert.strictEqual(wire(yield* Fiber.join(known)), "Accept")
      assert.strictEqual(wire(yield* Fiber.join(unknown)), "Continue")
    }))

  it.live("CRAM-MD5 (no password to hash) is left to the next plugin", () =>
    Effect.gen(function*() {
      const plugin = Auth.plugin({ users: yield* users })
      const verdict = yield* withPipeline([plugin], (p) =>
        p.auth(connection(), attempt("alice@example.test", undefined, "CRAM-MD5")))
      assert.strictEqual(wire(verdict), "535 5.7.8 Authentication credentials invalid")
    }))
})

describe("Auth.plugin: mailFrom (sender must match the user)", () => {
  const cases: ReadonlyArray<readonly [string, Parameters<typeof connection>[0], string | null, string]> = [
    ["own address", { user: "alice@example.test" }, "alice@example.test", "Continue"],
    ["own address, other case, user logged in upper case", { user: "ALICE@example.test" }, "Alice@EXAMPLE.test", "Continue"],
    ["alias", { user: "alice@example.test" }, "alice.smith@example.test", "Continue"],
    ["null sender", { user: "alice@example.test" }, null, "Continue"],
    ["someone else", { user: "alice@example.test" }, "bob@example.test", "553 5.7.1 Sender address not owned by user alice@example.test"],
    ["plain-name user without aliases owns nothing", { user: "bot" }, "bot@example.test", "553 5.7.1 Sender address not owned by user bot"],
    ["smtps listener is submission too", { user: "alice@example.test", listener: "smtps" }, "bob@example.test", "553 5.7.1 Sender address not owned by user alice@example.test"],
    ["not authenticated", {}, "bob@example.test", "Continue"],
    ["MX listener", { user: "alice@example.test", listener: "mx" }, "bob@example.test", "Continue"],
    ["user of another auth plugin", { user: "carol" }, "bob@example.test", "Continue"]
  ]
  it.live("the decision table", () =>
    Effect.gen(function*() {
      const plugin = Auth.plugin({ users: yield* users })
      yield* withPipeline([plugin], (p) =>
        Effect.forEach(cases, ([label, conn, sender, expected]) =>
          mailFrom(p, connection(conn), sender).pipe(
            Effect.map((v) => assert.strictEqual(wire(v), expected, label))
          )))
    }))

  it.live("enforceSender: false lets any sender through", () =>
    Effect.gen(function*() {
      const plugin = Auth.plugin({ users: yield* users, enforceSender: false })
      const verdict = yield* withPipeline([plugin], (p) =>
        mailFrom(p, connection({ user: "alice@example.test" }), "bob@example.test"))
      assert.strictEqual(wire(verdict), "Continue")
    }))
})

describe("Auth.pluginConfig", () => {
  it.live("reads <CARTERO_DATA_DIR>/users and CARTERO_AUTH_USERS; CARTERO_AUTH_ENFORCE_SENDER=false", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      yield* Effect.promise(() =>
        Effect.runPromise(hashOf("s3cret")).then((h) => Fs.writeFile(Path.join(dir, "users"), `alice@example.test:${h}\n`, { mode: 0o600 })))
      const inline = `bob@example.test:${yield* hashOf("b0b")}`
      const env = { CARTERO_DATA_DIR: dir, CARTERO_AUTH_USERS: inline, CARTERO_AUTH_ENFORCE_SENDER: "false" }
      const results = yield* withPipeline([Auth.pluginConfig], (p) =>
        Effect.all([
          p.auth(connection(), attempt("alice@example.test", "s3cret")),
          p.auth(connection(), attempt("bob@example.test", "b0b")),
          mailFrom(p, connection({ user: "bob@example.test" }), "x@example.test")
        ]), env)
      assert.deepStrictEqual(results.map(wire), ["Accept", "Accept", "Continue"])
    }).pipe(Effect.scoped))

  it.live("CARTERO_AUTH_USERS_FILE wins over the data dir; a malformed line stops start-up with path and line", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = Path.join(dir, "passwd")
      const h = yield* hashOf("s3cret")
      yield* Effect.promise(() => Fs.writeFile(file, `# users\nalice@example.test:${h}\nbob@example.test\n`))
      const exit = yield* Effect.exit(withPipeline([Auth.pluginConfig], () => Effect.void, { CARTERO_AUTH_USERS_FILE: file }))
      assert.isTrue(Exit.isFailure(exit))
      const text = String(exit)
      assert.include(text, `${file}:3: expected user:hash`)
      assert.notInclude(text, h.split("$")[5] ?? "")
    }).pipe(Effect.scoped))

  it.live("a missing default file means no users (start-up goes on); a missing configured file is an error", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const verdict = yield* withPipeline([Auth.pluginConfig], (p) =>
        p.auth(connection(), attempt("alice@example.test", "s3cret")), { CARTERO_DATA_DIR: dir })
      assert.strictEqual(wire(verdict), "535 5.7.8 Authentication credentials invalid")
      const exit = yield* Effect.exit(
        withPipeline([Auth.pluginConfig], () => Effect.void, { CARTERO_AUTH_USERS_FILE: Path.join(dir, "nope") })
      )
      assert.include(String(exit), "cannot read the users file (no such file)")
    }).pipe(Effect.scoped))

  it.live("a bad CARTERO_AUTH_ENFORCE_SENDER stops start-up naming the variable", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const exit = yield* Effect.exit(
        withPipeline([Auth.pluginConfig], () => Effect.void, { CARTERO_DATA_DIR: dir, CARTERO_AUTH_ENFORCE_SENDER: "maybe" })
      )
      assert.include(String(exit), "CARTERO_AUTH_ENFORCE_SENDER: expected true or false, got \"maybe\"")
    }).pipe(Effect.scoped))
})
