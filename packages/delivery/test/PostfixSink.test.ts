/**
 * Interoperability with Postfix's `smtp-sink` (Debian package `postfix`): a real, independent SMTP
 * implementation receives our deliveries, pipelined and over one reused connection.
 *
 * `scripts/test.sh` installs the package on CI. Elsewhere the test is skipped with a loud message when
 * `smtp-sink` is missing; with CI=true a missing `smtp-sink` fails the run instead of passing silently.
 */
import { assert, describe, it } from "@effect/vitest"
import { TempDir } from "@cartero/testing"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import { existsSync } from "node:fs"
import * as Fs from "node:fs/promises"
import * as net from "node:net"
import * as Path from "node:path"
import * as SmtpClient from "../src/SmtpClient.ts"
import { clientOptions, envelope, freePort, message } from "./support/fixtures.ts"

const smtpSink = ["/usr/sbin/smtp-sink", "/usr/bin/smtp-sink"].find((p) => existsSync(p))
const required = process.env["CI"] === "true"
if (smtpSink === undefined) {
  process.stderr.write(`\n!!! smtp-sink (Debian package postfix) is not installed: the Postfix interop tests are SKIPPED${required ? " — and CI=true, so they FAIL" : ""}\n\n`)
}

/** Starts `smtp-sink` dumping each transaction into `dir`, for the scope; stopped by pid. */
const startSink = (dir: string, port: number, binary: string) =>
  Effect.acquireRelease(
    Effect.callback<number, Error>((resume) => {
      // -u nobody: smtp-sink refuses to keep root privileges; -d: one file per transaction (envelope + message)
      const child = spawn(binary, ["-u", "nobody", "-d", `${dir}/%M%S.`, `127.0.0.1:${port}`, "10"], { stdio: "ignore" })
      child.once("error", (e) => resume(Effect.fail(e)))
      child.once("spawn", () => resume(Effect.succeed(child.pid ?? 0)))
    }),
    (pid) => Effect.sync(() => { if (pid > 0) process.kill(pid, "SIGTERM") })
  )

/** Waits until smtp-sink accepts connections (it binds right after exec). */
const awaitListening = (port: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < 100; i++) {
      const ok = yield* Effect.promise(() =>
        new Promise<boolean>((resolve) => {
          const s = net.connect(port, "127.0.0.1")
          s.once("connect", () => { s.destroy(); resolve(true) })
          s.once("error", () => resolve(false))
        })
      )
      if (ok) return
      yield* Effect.sleep("20 millis")
    }
    return yield* Effect.die(new Error("smtp-sink did not start listening"))
  })

const dumps = (dir: string, n: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < 250; i++) {
      const files = yield* Effect.promise(() => Fs.readdir(dir))
      if (files.length >= n) return yield* Effect.promise(() => Promise.all(files.sort().map((f) => Fs.readFile(Path.join(dir, f), "latin1"))))
      yield* Effect.sleep("20 millis")
    }
    return yield* Effect.die(new Error(`smtp-sink dumped fewer than ${n} transactions`))
  })

describe("interop: Postfix smtp-sink", () => {
  it.live.skipIf(smtpSink === undefined && !required)("two messages, pipelined, over one connection, bytes intact", () =>
    Effect.gen(function*() {
      if (smtpSink === undefined) return yield* Effect.die(new Error("smtp-sink is required on CI (Debian package postfix)"))
      const dir = yield* TempDir.make("cartero-smtp-sink-")
      yield* Effect.promise(() => Fs.chmod(dir, 0o777))
      const port = yield* freePort
      yield* startSink(dir, port, smtpSink)
      yield* awaitListening(port)
      const client = yield* SmtpClient.make(clientOptions())
      const first = message("First message.\r\n.leading dot\r\n")
      const second = message("Second message.\r\n")
      const r1 = yield* client.send({ host: "127.0.0.1", port, envelope: envelope(["bob", "carol"]), message: first })
      const r2 = yield* client.send({ host: "127.0.0.1", port, envelope: envelope(["dave"]), message: second })
      assert.deepStrictEqual(r1.recipients.map((r) => r._tag), ["Delivered", "Delivered"])
      assert.deepStrictEqual(r2.recipients.map((r) => r._tag), ["Delivered"])
      assert.isTrue(r2.reusedConnection, "the second transaction reused the connection (RSET)")
      const files = yield* dumps(dir, 2)
      // smtp-sink writes its dumps with LF line endings, after its own X-… and Received lines
      const lf = (bytes: Uint8Array) => Buffer.from(bytes).toString("latin1").replace(/\r\n/g, "\n")
      const [dump1 = "", dump2 = ""] = files.filter((f) => f.includes("First message")).concat(files.filter((f) => !f.includes("First message")))
      assert.isTrue(dump1.endsWith(lf(first) + "\n"), "first message intact, dot-stuffing undone by the receiver")
      assert.isTrue(dump2.endsWith(lf(second) + "\n"), "second message intact")
      assert.include(dump1, "X-Rcpt-Args: <bob@dest.test>\nX-Rcpt-Args: <carol@dest.test>\n")
      assert.include(dump2, "X-Rcpt-Args: <dave@dest.test>\n")
    }).pipe(Effect.scoped))
})
