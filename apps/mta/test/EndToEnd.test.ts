import { SmtpServer } from "@cartero/server"
import { TempDir, Transcript } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Context, Effect, Exit, Layer } from "effect"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import nodemailer from "nodemailer"
import MailComposer from "nodemailer/lib/mail-composer"
import * as MtaApp from "../src/MtaApp.ts"

const tempDir = TempDir.make()
const { listFiles } = TempDir

/** Starts the whole app in-process (port 0, temp data dir) and returns where the MX listens. */
const startApp = (env: Record<string, string>) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(
      MtaApp.MtaApp.layer.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env }))))
    )
    const mx = Context.get(context, SmtpServer.SmtpServer).address("mx")
    if (mx === undefined) return yield* Effect.die("no MX listener")
    return mx
  })

const baseEnv = (dataDir: string): Record<string, string> => ({
  CARTERO_SMTP_PORT: "0",
  CARTERO_DATA_DIR: dataDir,
  CARTERO_HOSTNAME: "mx.test",
  CARTERO_LOCAL_DOMAINS: "example.test",
  CARTERO_LOG_LEVEL: "warn"
})

/** Removes the leading `Received:` field (with its folded continuation lines) that the server prepends. */
const stripReceived = (stored: Buffer): Buffer => {
  let offset = 0
  let first = true
  while (offset < stored.length) {
    const end = stored.indexOf("\r\n", offset)
    if (end === -1) break
    const line = stored.subarray(offset, end).toString("latin1")
    const continuation = line.startsWith(" ") || line.startsWith("\t")
    if (!(first ? /^Received:/i.test(line) : continuation || /^Received:/i.test(line))) break
    first = false
    offset = end + 2
  }
  return stored.subarray(offset)
}

describe("the reference MTA, end to end", () => {
  it.live("a multipart message with an attachment lands byte-identical in the recipient's Maildir", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDir
      const mx = yield* startApp(baseEnv(dataDir))
      const attachment = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 256))
      const raw = yield* Effect.promise(() =>
        new MailComposer({
          from: "Alice <alice@remote.test>",
          to: "Bob <bob@example.test>",
          subject: "Quarterly figures — ünïcödé",
          text: "Hello Bob,\r\n.\r\nA line with a lone dot above (dot-stuffing on the wire).\r\n",
          html: "<p>Hello <b>Bob</b></p>",
          attachments: [{ filename: "figures.bin", content: attachment, contentType: "application/octet-stream" }]
        }).compile().build()
      )
      const transport = nodemailer.createTransport({ host: mx.host, port: mx.port, secure: false, ignoreTLS: true })
      const info = yield* Effect.promise(() =>
        transport.sendMail({ envelope: { from: "alice@remote.test", to: ["Bob@example.test"] }, raw })
      ).pipe(Effect.ensuring(Effect.sync(() => transport.close())), Effect.timeout("20 seconds"))
      assert.deepStrictEqual(info.accepted, ["Bob@example.test"])

      const mailRoot = Path.join(dataDir, "mail")
      const files = yield* listFiles(mailRoot)
      assert.strictEqual(files.length, 1)
      assert.match(files[0] ?? "", /^example\.test\/bob\/Maildir\/new\/\d+\.M\d+P\d+Q\d+\..+,S=\d+$/)
      const stored = yield* Effect.promise(() => Fs.readFile(Path.join(mailRoot, files[0] ?? "")))
      assert.match(stored.subarray(0, 200).toString("latin1"), /^Received: from .*by mx\.test/s)
      const body = stripReceived(stored)
      assert.isTrue(body.length < stored.length)
      assert.isTrue(body.equals(raw), "stored message differs from the one sent")
    }).pipe(Effect.scoped))

  it.live("relaying is refused and unknown users are rejected on the wire", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDir
      const mx = yield* startApp({ ...baseEnv(dataDir), CARTERO_LOCAL_ADDRESSES: "bob@example.test" })
      yield* Transcript.run(mx, `
        <- 220 *
        -> EHLO client.test
        <~ 250
        -> MAIL FROM:<alice@remote.test>
        <~ 250
        -> RCPT TO:<carol@example.test>
        <- 550 5.1.1 No such user here
        -> RCPT TO:<someone@elsewhere.test>
        <- 550 5.7.1 Relaying denied
        -> RCPT TO:<BOB@example.test>
        <~ 250
        -> QUIT
        <~ 221
      `)
    }).pipe(Effect.scoped))

  it.live("<Postmaster> without a domain and a quoted local part are accepted and stored (RFC 5321 §4.5.1, §4.1.2)", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDir
      const mx = yield* startApp(baseEnv(dataDir))
      yield* Transcript.run({ host: mx.host, port: mx.port }, String.raw`
        <- 220 *
        -> EHLO client.test
        <~ 250
        -> MAIL FROM:<"john doe"@remote.test>
        <- 250 2.1.0 Accepted
        -> RCPT TO:<Postmaster>
        <- 250 2.1.5 Accepted
        -> RCPT TO:<"john doe"@example.test>
        <- 250 2.1.5 Accepted
        -> DATA
        <~ 354
        => Subject: hello\r\n\r\nHi.\r\n.\r\n
        <~ 250
        -> QUIT
        <~ 221
      `)
      const files = yield* listFiles(Path.join(dataDir, "mail"))
      assert.deepStrictEqual(files.map((f) => f.split("/Maildir/")[0]).sort(), ["example.test/john%20doe", "mx.test/postmaster"])
    }).pipe(Effect.scoped))

  it.live("a bad setting fails the app layer with a message naming the variable", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDir
      for (const [variable, value] of [
        ["CARTERO_LOG_LEVEL", "loud"],
        ["CARTERO_TRUSTED_NETWORKS", "10.0.0.1/8"],
        ["CARTERO_MAX_RECIPIENTS", "many"],
        ["CARTERO_MAX_CLIENTS_PER_IP", "0"],
        ["CARTERO_DATA_TIMEOUT", "never"]
      ] as const) {
        const exit = yield* Effect.exit(startApp({ ...baseEnv(dataDir), [variable]: value }).pipe(Effect.scoped))
        assert.isTrue(Exit.isFailure(exit))
        assert.include(String(exit), variable)
      }
    }).pipe(Effect.scoped))
})
