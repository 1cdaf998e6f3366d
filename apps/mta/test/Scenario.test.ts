/**
 * The seed scenario of RFC 5321 §2, for real: Alice's mail client submits on port 587 (STARTTLS + AUTH) to her
 * Cartero, which queues the message, resolves someschool.test over DNS (a real dns2 server on loopback) and
 * delivers it to Bob's Cartero, which stores it in Bob's Maildir. Both servers are the reference app, started
 * in-process with their own configuration, data directory and ports.
 */
import { Auth } from "@cartero/plugin-auth"
import { MailQueue } from "@cartero/queue"
import { SmtpServer } from "@cartero/server"
import { Dsn } from "@cartero/mime"
import { FakeDns, TempDir, Transcript } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Context, Effect, Layer, type Scope } from "effect"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import nodemailer from "nodemailer"
import MailComposer from "nodemailer/lib/mail-composer"
import * as MtaApp from "../src/MtaApp.ts"
import { freePort } from "./support/FreePort.ts"
import * as WireTap from "./support/WireTap.ts"

const password = "correct horse battery staple"

/** Starts one reference app with `env` (over the defaults below) in the current scope. */
const startApp = (env: Record<string, string>) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(MtaApp.MtaApp.layer.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({
      env: { CARTERO_SMTP_PORT: "0", CARTERO_LOG_LEVEL: "error", CARTERO_OUTBOUND_TLS: "opportunistic", ...env }
    })))))
    const server = Context.get(context, SmtpServer.SmtpServer)
    return { server, queue: Context.get(context, MailQueue.MailQueue) }
  })

interface World {
  readonly dns: FakeDns.Service
  readonly aliceDir: string
  readonly bobDir: string
  readonly bobPort: number
  readonly usersLine: string
}

const world = (bobPort: number): Effect.Effect<World, unknown, Scope.Scope> =>
  Effect.gen(function*() {
    const dns = yield* FakeDns.make({
      "someschool.test": { MX: [{ priority: 10, exchange: "mx.someschool.test" }] },
      "mx.someschool.test": { A: ["127.0.0.1"] },
      "example.test": { MX: [{ priority: 10, exchange: "mail.example.test" }] },
      "mail.example.test": { A: ["127.0.0.1"] }
    })
    return {
      dns,
      aliceDir: yield* TempDir.make("cartero-alice-"),
      bobDir: yield* TempDir.make("cartero-bob-"),
      bobPort,
      usersLine: `alice@example.test:${yield* Auth.hashPassword(password)}`
    }
  })

const alice = (w: World, extra: Record<string, string> = {}) =>
  startApp({
    CARTERO_HOSTNAME: "mail.example.test",
    CARTERO_DATA_DIR: w.aliceDir,
    CARTERO_LOCAL_DOMAINS: "example.test",
    CARTERO_SUBMISSION_PORT: "0",
    CARTERO_AUTH_USERS: w.usersLine,
    CARTERO_DNS_SERVERS: `127.0.0.1:${w.dns.port}`,
    CARTERO_OUTBOUND_PORT: String(w.bobPort),
    ...extra
  })

const bob = (w: World, extra: Record<string, string> = {}, port = w.bobPort) =>
  startApp({
    CARTERO_HOSTNAME: "mx.someschool.test",
    CARTERO_SMTP_PORT: String(port),
    CARTERO_DATA_DIR: w.bobDir,
    CARTERO_LOCAL_DOMAINS: "someschool.test",
    CARTERO_LOCAL_ADDRESSES: "bob@someschool.test",
    CARTERO_DNS_SERVERS: `127.0.0.1:${w.dns.port}`,
    ...extra
  })

/** Alice's mail client: submission to her server with STARTTLS and AUTH PLAIN (the dev certificate is self-signed). */
const submit = (server: SmtpServer.SmtpServerShape, to: ReadonlyArray<string>, raw: Buffer) =>
  Effect.gen(function*() {
    const submission = server.address("submission")
    if (submission === undefined) return yield* Effect.die("no submission listener")
    const transport = nodemailer.createTransport({
      host: "127.0.0.1", port: submission.port, secure: false, requireTLS: true,
      tls: { rejectUnauthorized: false },
      auth: { user: "alice@example.test", pass: password }
    })
    return yield* Effect.promise(() => transport.sendMail({ envelope: { from: "alice@example.test", to: [...to] }, raw })).pipe(
      Effect.ensuring(Effect.sync(() => transport.close())),
      Effect.timeout("20 seconds")
    )
  })

const composed = (to: string) =>
  Effect.promise(() =>
    new MailComposer({
      from: "Alice <alice@example.test>",
      to,
      subject: "Lunch on Friday?",
      text: "Hi Bob,\r\n\r\nlunch on Friday at the usual place?\r\n\r\nAlice\r\n",
      attachments: [{ filename: "map.bin", content: Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 7) % 256)) }]
    }).compile().build()
  )

/** Files under `root/<domain>/<user>/Maildir/new`, waiting up to `timeoutMs` for at least `count`. */
const awaitMail = (root: string, domain: string, user: string, timeoutMs = 15_000, count = 1) =>
  Effect.gen(function*() {
    const dir = Path.join(root, "mail", domain, user, "Maildir", "new")
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      const files = yield* Effect.promise(() => Fs.readdir(dir).catch(() => []))
      if (files.length >= count) return yield* Effect.promise(() => Promise.all(files.map((f) => Fs.readFile(Path.join(dir, f)))))
      yield* Effect.sleep("50 millis")
    }
    return yield* Effect.die(new Error(`not ${count} mail for ${user}@${domain} within ${timeoutMs} ms`))
  })

/** The message minus the leading trace (`Received:`) fields, with their folded lines. */
const withoutTrace = (stored: Buffer): Buffer => {
  let offset = 0
  while (offset < stored.length) {
    const end = stored.indexOf("\r\n", offset)
    if (end === -1) break
    const line = stored.subarray(offset, end).toString("latin1")
    if (!(/^Received:/i.test(line) || line.startsWith(" ") || line.startsWith("\t"))) break
    offset = end + 2
  }
  return stored.subarray(offset)
}

describe("Alice sends to Bob (RFC 5321 §2)", () => {
  it.live("submission, queue, MX lookup, delivery: the message lands in Bob's Maildir byte-identical", () =>
    Effect.gen(function*() {
      const w = yield* world(yield* freePort)
      yield* bob(w)
      const a = yield* alice(w)
      const raw = yield* composed("Bob <bob@someschool.test>")
      const info = yield* submit(a.server, ["bob@someschool.test"], raw)
      assert.deepStrictEqual(info.accepted, ["bob@someschool.test"])

      const [stored] = yield* awaitMail(w.bobDir, "someschool.test", "bob")
      if (stored === undefined) return
      const text = stored.toString("latin1")
      assert.match(text, /^Received: from mail\.example\.test /, "Bob's server adds its trace header on top")
      assert.match(text, /by mail\.example\.test with ESMTPSA/, "Alice's trace header says authenticated submission over TLS")
      assert.isTrue(withoutTrace(stored).equals(raw), "the message arrived byte-identical apart from trace headers")
      assert.isAbove(yield* w.dns.queryCount({ name: "someschool.test" }), 0, "the route came from DNS")
    }).pipe(Effect.scoped))

  it.live("Bob's server offers CHUNKING, so Alice's server sends the message by BDAT (RFC 3030)", () =>
    Effect.gen(function*() {
      const w = yield* world(yield* freePort)
      // Bob's server listens behind a wire tap on his MX port, and Alice's server sends in clear (no STARTTLS) so
      // that the tap can read the session between the two servers.
      const inner = yield* freePort
      yield* bob(w, {}, inner)
      const tap = yield* WireTap.make(inner, w.bobPort)
      const a = yield* alice(w, { CARTERO_OUTBOUND_TLS: "none" })
      const raw = yield* composed("Bob <bob@someschool.test>")
      yield* submit(a.server, ["bob@someschool.test"], raw)

      const [stored] = yield* awaitMail(w.bobDir, "someschool.test", "bob")
      assert.isTrue(withoutTrace(stored ?? Buffer.alloc(0)).equals(raw), "the message arrived byte-identical apart from trace headers")
      assert.include(tap.received(), "250 CHUNKING\r\n", "Bob's EHLO reply offers CHUNKING")
      assert.match(tap.sent(), /\r\nBDAT \d+ LAST\r\n/, "the message went by BDAT")
      assert.notMatch(tap.sent(), /\r\nDATA\r\n/, "no DATA command")
    }).pipe(Effect.scoped))

  it.live("Bob's server is down for a while: the message is deferred, then delivered when it comes back", () =>
    Effect.gen(function*() {
      const w = yield* world(yield* freePort)
      const a = yield* alice(w, { CARTERO_RETRY_SCHEDULE: "1s" })
      yield* submit(a.server, ["bob@someschool.test"], yield* composed("bob@someschool.test"))

      // the first attempt finds nobody listening: the recipient waits in Alice's queue
      const deadline = Date.now() + 10_000
      let deferred = 0
      while (deferred === 0 && Date.now() < deadline) {
        yield* Effect.sleep("50 millis")
        deferred = (yield* a.queue.stats).recipients.deferred
      }
      assert.strictEqual(deferred, 1)

      yield* bob(w)
      const mail = yield* awaitMail(w.bobDir, "someschool.test", "bob")
      assert.strictEqual(mail.length, 1)
    }).pipe(Effect.scoped))

  it.live("a recipient unknown at Bob's server: Alice receives a DSN in her own mailbox", () =>
    Effect.gen(function*() {
      const w = yield* world(yield* freePort)
      yield* bob(w)
      const a = yield* alice(w)
      yield* submit(a.server, ["nobody@someschool.test"], yield* composed("nobody@someschool.test"))

      const [dsn] = yield* awaitMail(w.aliceDir, "example.test", "alice")
      const text = dsn?.toString("utf8") ?? ""
      assert.match(text, /Content-Type: multipart\/report;[\s\S]*report-type="?delivery-status/i)
      assert.match(text, /Final-Recipient: rfc822; ?nobody@someschool\.test/i)
      assert.match(text, /Action: failed/i)
      assert.match(text, /Status: 5\.1\.1/)
      assert.match(text, /Diagnostic-Code: smtp; ?550 5\.1\.1/i)
      assert.match(text, /Remote-MTA: dns; ?mx\.someschool\.test/i)
      assert.match(text, /Subject: Lunch on Friday\?/, "the original headers are returned")
    }).pipe(Effect.scoped))

  /**
   * DSN end to end (RFC 3461): Alice asks for success and failure notices, headers only, with an envelope id; Bob
   * knows bob, not nobody nor ghost (who asked for no notice). Bob's server advertises DSN, so Alice's passes the
   * parameters on and Bob's reports the delivery itself; Alice's reports the refusal. Exactly two notices reach
   * Alice's mailbox. With DSN off at Bob's, Alice's server reports bob as `relayed` instead.
   */
  const dsnScenario = (bobDsn: boolean) =>
    Effect.gen(function*() {
      const alicePort = yield* freePort
      const w = yield* world(yield* freePort)
      yield* bob(w, { CARTERO_OUTBOUND_PORT: String(alicePort), ...(bobDsn ? {} : { CARTERO_SMTP_DSN: "false" }) })
      const a = yield* alice(w, { CARTERO_SMTP_PORT: String(alicePort) })
      const submission = a.server.address("submission")
      if (submission === undefined) return yield* Effect.die("no submission listener")
      const plain = Buffer.from(`\0alice@example.test\0${password}`).toString("base64")
      const raw = (yield* composed("Bob <bob@someschool.test>")).toString("latin1").replace(/\r\n\./g, "\r\n..")
      yield* Transcript.run({ host: "127.0.0.1", port: submission.port, timeout: "10 seconds" }, `
        <- 220 *
        -> EHLO client.example.test
        <* DSN
        -> STARTTLS
        <- 220 *
        ** tls
        -> EHLO client.example.test
        <* DSN
        -> AUTH PLAIN ${plain}
        <~ 235
        -> MAIL FROM:<alice@example.test> RET=HDRS ENVID=lunch+2Bfriday
        <~ 250
        -> RCPT TO:<bob@someschool.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Bob+40someschool.test
        <~ 250
        -> RCPT TO:<nobody@someschool.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;nobody@someschool.test
        <~ 250
        -> RCPT TO:<ghost@someschool.test> NOTIFY=NEVER
        <~ 250
        -> DATA
        <~ 354
        => ${raw.replace(/\\/g, "\\\\").replace(/\r/g, "\\r").replace(/\n/g, "\\n")}\\r\\n.\\r\\n
        <~ 250
        -> QUIT
        <~ 221
      `)

      const [stored] = yield* awaitMail(w.bobDir, "someschool.test", "bob")
      assert.match(stored?.toString("latin1") ?? "", /Subject: Lunch on Friday\?/)
      const notices = yield* awaitMail(w.aliceDir, "example.test", "alice", 20_000, 2)
      // Nothing else is on its way: the queues of both servers are empty once the two notices are in.
      yield* Effect.sleep("1 second")
      assert.strictEqual((yield* awaitMail(w.aliceDir, "example.test", "alice")).length, 2, "exactly two notices")
      const reports = notices.map((n) => ({ text: n.toString("latin1"), report: Dsn.read(n) }))
      const byAction = new Map(reports.map((r) => [r.report?.recipients[0]?.action, r]))
      assert.deepStrictEqual([...byAction.keys()].sort(), [bobDsn ? "delivered" : "relayed", "failed"].sort())

      const success = byAction.get(bobDsn ? "delivered" : "relayed")
      assert.strictEqual(success?.report?.reportingMta, bobDsn ? "mx.someschool.test" : "mail.example.test")
      assert.strictEqual(success?.report?.originalEnvelopeId, "lunch+friday")
      assert.deepStrictEqual(success?.report?.recipients.map((r) => [r.finalRecipient, r.originalRecipient, r.status]), [
        ["bob@someschool.test", "Bob@someschool.test", "2.0.0"]
      ])
      assert.match(success?.text ?? "", /Content-Type: text\/rfc822-headers/)

      const failed = byAction.get("failed")
      assert.strictEqual(failed?.report?.reportingMta, "mail.example.test")
      assert.strictEqual(failed?.report?.originalEnvelopeId, "lunch+friday")
      assert.deepStrictEqual(failed?.report?.recipients.map((r) => [r.finalRecipient, r.originalRecipient, r.status, r.remoteMta]), [
        ["nobody@someschool.test", "nobody@someschool.test", "5.1.1", "mx.someschool.test"]
      ], "ghost asked for no notice")
      assert.match(failed?.text ?? "", /Content-Type: text\/rfc822-headers/, "RET=HDRS: headers only")
      assert.notMatch(failed?.text ?? "", /lunch on Friday at the usual place/, "RET=HDRS: no body")
    }).pipe(Effect.scoped)

  it.live("NOTIFY=SUCCESS,FAILURE RET=HDRS ENVID=…: Bob's server reports the delivery, Alice's the failure; nothing else", () =>
    dsnScenario(true))

  it.live("the same with DSN off at Bob's server: Alice's server reports bob as relayed", () => dsnScenario(false))
})
