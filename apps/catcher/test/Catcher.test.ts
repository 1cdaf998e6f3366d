import { SmtpServer } from "@cartero/server"
import { TempDir } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Context, Effect, Layer } from "effect"
import { execFile } from "node:child_process"
import { existsSync } from "node:fs"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import nodemailer from "nodemailer"
import type Mail from "nodemailer/lib/mailer"
import * as Catcher from "../src/Catcher.ts"

const tempDir = TempDir.make()

// swaks (Debian package `swaks`) is installed by .ci/run. Elsewhere its test is skipped with a loud message when it
// is missing; with CI=true a missing swaks fails the run instead of passing silently.
const swaksPath = ["/usr/bin/swaks", "/usr/local/bin/swaks"].find((p) => existsSync(p))
const swaksRequired = process.env["CI"] === "true"
if (swaksPath === undefined) {
  process.stderr.write(`\n!!! swaks is not installed: the catcher's swaks test is SKIPPED${swaksRequired ? " — and CI=true, so it FAILS" : ""}\n\n`)
}

/** Starts the catcher in-process on ports 0 with its mail under a temporary directory. */
const start = Effect.gen(function*() {
  const dir = yield* tempDir
  const env = { CARTERO_SMTP_PORT: "0", CARTERO_HTTP_PORT: "0", CARTERO_DATA_DIR: dir, CARTERO_LOG_LEVEL: "warn" }
  const context = yield* Layer.build(Catcher.layer.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))))
  const smtp = Context.get(context, SmtpServer.SmtpServer).address("mx")
  if (smtp === undefined) return yield* Effect.die("no SMTP listener")
  const http = Context.get(context, Catcher.HttpAddress)
  return { smtpPort: smtp.port, base: `http://127.0.0.1:${http.port}`, mail: Path.join(dir, "mail") }
})

/** Every file in a `new/` directory under `root`. */
const delivered = (root: string) =>
  Effect.promise(async () => {
    const entries = await Fs.readdir(root, { recursive: true, withFileTypes: true })
    return entries.filter((e) => e.isFile() && Path.basename(e.parentPath) === "new").map((e) => Path.join(e.parentPath, e.name)).sort()
  })

const send = (port: number, message: Mail.Options) =>
  Effect.promise(() => nodemailer.createTransport({ host: "127.0.0.1", port, secure: false, ignoreTLS: true }).sendMail(message))

describe("the catcher", () => {
  it.live("accepts every recipient of every domain from nodemailer and keeps one copy per mailbox; nothing is relayed", () =>
    Effect.gen(function*() {
      const catcher = yield* start
      const info = yield* send(catcher.smtpPort, {
        from: "app@example.test",
        to: ["someone@gmail.com", "Other <other@example.org>"],
        subject: "Welcome",
        text: "Hello from the app."
      })
      assert.deepStrictEqual([...info.accepted].sort(), ["other@example.org", "someone@gmail.com"])
      const files = yield* delivered(catcher.mail)
      assert.deepStrictEqual(files.map((f) => Path.relative(catcher.mail, f).split(Path.sep).slice(0, 3).join("/")), [
        "example.org/other/Maildir",
        "gmail.com/someone/Maildir"
      ])
      const text = yield* Effect.promise(() => Fs.readFile(files[0] ?? "", "utf8"))
      assert.include(text, "Subject: Welcome")
      assert.include(text, "Hello from the app.")
      const queue = yield* Effect.promise(() => fetch(`${catcher.base}/api/queue/stats`).then((r) => r.json()))
      assert.deepInclude(queue, { messages: 0 })
      const mailboxes = yield* Effect.promise(() => fetch(`${catcher.base}/api/mailboxes`).then((r) => r.json()))
      assert.deepStrictEqual(mailboxes, {
        mailboxes: [
          { address: "other@example.org", messages: 1, unread: 1 },
          { address: "someone@gmail.com", messages: 1, unread: 1 }
        ]
      })
      const page = yield* Effect.promise(() =>
        fetch(`${catcher.base}/api/mailboxes/${encodeURIComponent("someone@gmail.com")}/messages`).then((r) => r.json() as Promise<{ messages: ReadonlyArray<{ subject: string }> }>)
      )
      assert.strictEqual(page.messages[0]?.subject, "Welcome")
    }).pipe(Effect.scoped))

  it.live.skipIf(swaksPath === undefined && !swaksRequired)("receives mail from swaks", () =>
    Effect.gen(function*() {
      const catcher = yield* start
      const swaks = yield* Effect.promise(() =>
        new Promise<{ code: number | null; out: string }>((resolve) => {
          execFile(
            swaksPath ?? "swaks",
            ["--server", `127.0.0.1:${catcher.smtpPort}`, "--to", "dev@anything.test", "--from", "ci@example.test", "--header", "Subject: from swaks", "--timeout", "10"],
            { timeout: 20_000 },
            (error, stdout, stderr) => resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, out: stdout + stderr })
          )
        })
      )
      assert.strictEqual(swaks.code, 0, swaks.out)
      assert.match(swaks.out, /<[-~] +250 2\.0\.0 Ok: delivered as /)
      const files = yield* delivered(catcher.mail)
      assert.strictEqual(files.length, 1)
      assert.include(yield* Effect.promise(() => Fs.readFile(files[0] ?? "", "utf8")), "Subject: from swaks")
    }).pipe(Effect.scoped))
})
