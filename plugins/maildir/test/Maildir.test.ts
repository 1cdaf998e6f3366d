import { TempDir, TestSession, TestStore } from "@cartero/testing"
import { Pipeline, type Plugin } from "@cartero/core"
import { SmtpReply, Verdict } from "@cartero/smtp"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Layer } from "effect"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import * as Maildir from "../src/Maildir.ts"

const { connection, message, transaction } = TestSession
const tempDir = TempDir.make()
const { listFiles } = TempDir

const isLocal: Maildir.IsLocal = (_txn, r) => Effect.succeed(r.address.domain === "example.com")
const wire = (verdict: Verdict.Verdict): string =>
  verdict._tag === "Continue" ? "Continue" : verdict._tag === "Accept" ? "Accept" : SmtpReply.toString(verdict.reply)
const received = "Received: from client.test ([203.0.113.5]) by mx.test; Thu, 26 Nov 2026 05:00:00 +0000\r\n"
const raw = "From: a@remote.test\r\nSubject: hi\r\n\r\nhello\r\n"

/** A stand-in for the later queue plugin: takes the recipients Maildir did not take. */
const remoteQueue = () => TestStore.make({ name: "remote-queue" })

/** A later store that is down: the pipeline must undo what Maildir wrote. */
const brokenQueue = TestStore.failing("queue unavailable", "broken-queue")

const queue = (plugins: ReadonlyArray<Plugin.Plugin<unknown>>, rcpts: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const built = yield* Layer.build(Pipeline.Pipeline.layer(plugins))
    const pipeline = Pipeline.Pipeline.use((p) => p.queue(transaction(connection(), rcpts), message(received, raw)))
    return yield* pipeline.pipe(Effect.provide(built))
  })

describe("Maildir.plugin", () => {
  it.live("all recipients local: stores prepend + raw for each and accepts", () =>
    Effect.gen(function*() {
      const root = yield* tempDir
      const verdict = yield* queue([Maildir.plugin({ root, isLocal })], ["alice@example.com", "bob@example.com"])
      assert.strictEqual(wire(verdict), "Accept")
      assert.strictEqual(verdict._tag === "Accept" ? SmtpReply.toString(verdict.reply ?? SmtpReply.make(250, undefined, "")) : "", "250 2.0.0 Ok: delivered as txn-1")
      const files = yield* listFiles(root)
      assert.strictEqual(files.length, 2)
      for (const f of files) {
        assert.match(f, /^example\.com\/(alice|bob)\/Maildir\/new\//)
        assert.strictEqual(yield* Effect.promise(() => Fs.readFile(Path.join(root, f), "utf8")), received + raw)
      }
    }).pipe(Effect.scoped))

  it.live("mixed recipients: stores the local ones, and a later store takes the rest", () =>
    Effect.gen(function*() {
      const root = yield* tempDir
      const remote = remoteQueue()
      const verdict = yield* queue(
        [Maildir.plugin({ root, isLocal }), remote.plugin],
        ["alice@example.com", "x@remote.test"]
      )
      assert.strictEqual(wire(verdict), "Accept")
      assert.deepStrictEqual(remote.stored.flatMap((s) => s.recipients.map((r) => `${r.address.localPart}@${r.address.domain}`)), ["x@remote.test"])
      assert.strictEqual((yield* listFiles(root)).length, 1)

      // without a later queue plugin, nobody accepts the remote recipient: 451, and the local copy is rolled back
      const alone = yield* queue([Maildir.plugin({ root, isLocal })], ["alice@example.com", "x@remote.test"])
      assert.strictEqual(wire(alone), "451 4.3.0 Message could not be stored, please try again later")
      assert.strictEqual((yield* listFiles(root)).length, 1)
    }).pipe(Effect.scoped))

  it.live("a later store failing removes the local copies (rolled back), and the client gets 451", () =>
    Effect.gen(function*() {
      const root = yield* tempDir
      const verdict = yield* queue(
        [Maildir.plugin({ root, isLocal }), brokenQueue],
        ["alice@example.com", "bob@example.com", "x@remote.test"]
      )
      assert.strictEqual(wire(verdict), "451 4.3.0 Temporary local problem, please try again later")
      assert.deepStrictEqual(yield* listFiles(root), [])
    }).pipe(Effect.scoped))

  it.live("no local recipient: takes nobody and leaves the disk alone", () =>
    Effect.gen(function*() {
      const root = yield* tempDir
      const verdict = yield* queue([Maildir.plugin({ root, isLocal }), remoteQueue().plugin], ["x@remote.test"])
      assert.strictEqual(wire(verdict), "Accept")
      assert.deepStrictEqual(yield* listFiles(root), [])
    }).pipe(Effect.scoped))

  it.live("a write error: the pipeline answers 451 4.3.0 and nothing is stored", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const root = Path.join(dir, "mail")
      const built = yield* Layer.build(Pipeline.Pipeline.layer([Maildir.plugin({ root, isLocal })]))
      // the root turns into a file after start-up
      yield* Effect.promise(() => Fs.rm(root, { recursive: true }).then(() => Fs.writeFile(root, "oops")))
      const verdict = yield* Pipeline.Pipeline.use((p) =>
        p.queue(transaction(connection(), ["alice@example.com"]), message(received, raw))
      ).pipe(Effect.provide(built))
      assert.strictEqual(wire(verdict), "451 4.3.0 Temporary local problem, please try again later")
      assert.deepStrictEqual(yield* listFiles(dir), ["mail"])
    }).pipe(Effect.scoped))

  it.live("a root that cannot be created fails start-up", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      yield* Effect.promise(() => Fs.writeFile(Path.join(dir, "file"), ""))
      const exit = yield* Effect.exit(Layer.build(Pipeline.Pipeline.layer([Maildir.plugin({ root: Path.join(dir, "file/mail"), isLocal })])))
      assert.isTrue(Exit.isFailure(exit))
      assert.include(String(exit), "mkdir")
    }).pipe(Effect.scoped))
})

describe("Maildir.pluginConfig", () => {
  const recipients: ReadonlyArray<string> = ["alice@example.com"]
  const run = (env: Record<string, string>) =>
    queue([Maildir.pluginConfig({ isLocal })], recipients).pipe(
      Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))
    )

  it.live("root is <CARTERO_DATA_DIR>/mail, or CARTERO_MAILDIR_ROOT", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      assert.strictEqual(wire(yield* run({ CARTERO_DATA_DIR: dir })), "Accept")
      assert.strictEqual(wire(yield* run({ CARTERO_DATA_DIR: dir, CARTERO_MAILDIR_ROOT: Path.join(dir, "other") })), "Accept")
      const files = yield* listFiles(dir)
      assert.strictEqual(files.filter((f) => f.startsWith("mail/example.com/alice/Maildir/new/")).length, 1)
      assert.strictEqual(files.filter((f) => f.startsWith("other/example.com/alice/Maildir/new/")).length, 1)
    }).pipe(Effect.scoped))
})

