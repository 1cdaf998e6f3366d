/**
 * `cartero send` against the app itself (in-process, on port 0, data in a temporary directory): a local recipient
 * lands in its Maildir, a remote one in the queue, and the id the client saw in each reply finds the message with
 * `cartero queue show` / `queue cat`. Delivery workers are off (the remote recipient stays queued; no DNS); loopback is trusted to relay.
 */
import { SmtpServer } from "@cartero/server"
import { TempDir } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Context, Effect, Layer } from "effect"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { MtaApp } from "../src/MtaApp.ts"
import { cli, json } from "./support/Cli.ts"

const tempDir = TempDir.make()

const startApp = (dataDir: string, extra: Record<string, string> = {}) =>
  Effect.gen(function*() {
    const env = {
      CARTERO_SMTP_PORT: "0",
      CARTERO_DATA_DIR: dataDir,
      CARTERO_HOSTNAME: "mx.test",
      CARTERO_DELIVERY_WORKERS: "0",
      CARTERO_DNS_SERVERS: "127.0.0.1:9",
      CARTERO_LOG_LEVEL: "warn",
      ...extra
    }
    const context = yield* Layer.build(MtaApp.layer.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))))
    const mx = Context.get(context, SmtpServer.SmtpServer).address("mx")
    if (mx === undefined) return yield* Effect.die("no MX listener")
    return `${mx.host}:${mx.port}`
  })

describe("cartero send", () => {
  it.live("sends to our MX; the ids in the replies find the message in the Maildir and the queue", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDir
      // Loopback clients may relay (as a submission client would after AUTH).
      const server = yield* startApp(dataDir, { CARTERO_TRUSTED_NETWORKS: "127.0.0.0/8" })
      const env = { CARTERO_DATA_DIR: dataDir }

      const local = yield* cli(env, "send", "--server", server, "--from", "alice@remote.test", "--to", "bob@localhost", "--subject", "hello there", "--body", "line one\nline two")
      assert.strictEqual(local.code, 0, local.stderr)
      assert.match(local.stdout, /^bob@localhost: accepted: 250 2\.0\.0 Ok: delivered as (\S+)\n$/)
      const files = yield* TempDir.listFiles(Path.join(dataDir, "mail"))
      assert.strictEqual(files.length, 1)
      const stored = Fs.readFileSync(Path.join(dataDir, "mail", files[0] ?? ""), "utf8")
      assert.include(stored, "Subject: hello there\r\n")
      assert.include(stored, "\r\n\r\nline one\r\nline two\r\n")

      const remote = json(yield* cli(env, "send", "--server", server, "--from", "alice@localhost", "--to", "carol@far.test", "--body", "queued body", "--json"))
      const rows = typeof remote === "object" && remote !== null && "recipients" in remote && Array.isArray(remote.recipients) ? remote.recipients : []
      assert.strictEqual(rows.length, 1)
      assert.deepInclude(rows[0], { recipient: "carol@far.test", outcome: "accepted" })
      const queuedAs = /queued as (\S+)$/.exec(String(rows[0]?.reply?.text))?.[1] ?? ""
      assert.notStrictEqual(queuedAs, "")
      const cat = yield* cli(env, "queue", "cat", queuedAs)
      assert.strictEqual(cat.code, 0, cat.stderr)
      assert.include(cat.stdout, "queued body")
      assert.deepInclude(json(yield* cli(env, "queue", "show", queuedAs, "--json")), { id: queuedAs, sender: "<alice@localhost>" })

      // One message for a local and a remote recipient: the client sees one reply, and its id finds the queued part.
      const mixed = yield* cli(env, "send", "--server", server, "--from", "alice@localhost", "--to", "bob@localhost", "--to", "dave@far.test", "--body", "mixed")
      assert.strictEqual(mixed.code, 0, mixed.stderr)
      const seen = /as (\S+)\n/.exec(mixed.stdout)?.[1] ?? ""
      const shown = json(yield* cli(env, "queue", "show", seen, "--json"))
      const recipients = typeof shown === "object" && shown !== null && "recipients" in shown && Array.isArray(shown.recipients) ? shown.recipients : []
      assert.deepStrictEqual(recipients.map((r: { address: string }) => r.address), ["dave@far.test"])
    }).pipe(Effect.scoped))

  it.live("a refused recipient exits 1 after printing its reply; an unreachable server is one clear line", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDir
      const server = yield* startApp(dataDir)
      const env = { CARTERO_DATA_DIR: dataDir }
      const refused = yield* cli(env, "send", "--server", server, "--from", "a@remote.test", "--to", "x@elsewhere.test")
      assert.strictEqual(refused.code, 1)
      assert.match(refused.stdout, /^x@elsewhere\.test: refused: 55\d /)
      assert.strictEqual(refused.stderr, "cartero: not accepted for x@elsewhere.test\n")
      const down = yield* cli(env, "send", "--server", "127.0.0.1:9", "--from", "a@remote.test", "--to", "bob@localhost")
      assert.strictEqual(down.code, 1)
      assert.match(down.stderr, /^cartero: cannot send to 127\.0\.0\.1:9: .*ECONNREFUSED/)
      const bad = yield* cli(env, "send", "--from", "not an address", "--to", "bob@localhost")
      assert.strictEqual(bad.stderr, "cartero: --from: \"not an address\" is not an email address\n")
    }).pipe(Effect.scoped))
})
