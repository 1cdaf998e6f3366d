/**
 * The log lines docs/operations.md ("Logs") promises, read from the app's own logger in both formats: the exact keys
 * of `message accepted`, of `refused` by a plugin and by the server, and of `delivery attempt` (sent, deferred,
 * bounced), each key once per line, and `message` one string in JSON.
 */
import { Plugin } from "@cartero/core"
import { SmtpServer } from "@cartero/server"
import { Verdict } from "@cartero/smtp"
import { FakeDns, SmtpSink, TempDir, Transcript } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Console, Context, Effect, Layer } from "effect"
import { Console as NodeConsole } from "node:console"
import { Writable } from "node:stream"
import * as Defaults from "../src/Defaults.ts"
import * as MtaApp from "../src/MtaApp.ts"

const tempDir = TempDir.make()

/** A plugin of the test's own that refuses one sender, to see its name in the refusal line. */
const noSpam = Plugin.make("no-spam", Effect.succeed({
  mailFrom: (txn) =>
    Effect.succeed(txn.mailFrom?.localPart === "spammer" ? Verdict.reject("5.7.1", "No spam, thanks") : Verdict.next)
}))

/** Every line the app writes to its console. */
const capture = () => {
  const lines: Array<string> = []
  let pending = ""
  const stdout = new Writable({
    write(chunk: Buffer, _encoding, done) {
      pending += chunk.toString("utf8")
      const parts = pending.split("\n")
      pending = parts.pop() ?? ""
      lines.push(...parts)
      done()
    }
  })
  return { lines, console: new NodeConsole({ stdout, stderr: stdout }) }
}

/** logfmt keys and values in order (values unquoted). */
const logfmt = (line: string): Array<[string, string]> =>
  [...line.matchAll(/(\S+?)=(?:"((?:[^"\\]|\\.)*)"|(\S*))/g)].map((m) => [
    m[1] ?? "",
    m[2] === undefined ? m[3] ?? "" : JSON.parse(`"${m[2]}"`) as string
  ])

const session = String.raw`
  <~ 220
  -> EHLO client.test
  <~ 250
  -> MAIL FROM:<spammer@remote.test>
  <- 550 5.7.1 No spam, thanks
  -> MAIL FROM:<alice@example.test>
  <- 250 2.1.0 Accepted
  -> RCPT TO:<ok@remote.test>
  <- 250 2.1.5 Accepted
  -> DATA
  <~ 354
  => ${"x".repeat(3000)}\r\n.\r\n
  <~ 552 5.3.4
  -> MAIL FROM:<alice@example.test>
  <- 250 2.1.0 Accepted
  -> RCPT TO:<ok@remote.test>
  <- 250 2.1.5 Accepted
  -> RCPT TO:<later@remote.test>
  <- 250 2.1.5 Accepted
  -> RCPT TO:<bad@remote.test>
  <- 250 2.1.5 Accepted
  -> DATA
  <~ 354
  => Subject: hi\r\n\r\nHello.\r\n.\r\n
  <~ 250 2.6.0 Message queued as
  -> QUIT
  <~ 221
`

/** Runs the session against the app logging in `format`; the lines once the three delivery attempts are logged. */
const run = (format: "logfmt" | "json") =>
  Effect.gen(function*() {
    const dataDir = yield* tempDir
    const sink = yield* SmtpSink.make({
      rcptTo: (to) =>
        to.startsWith("later@")
          ? SmtpSink.reply(451, "4.2.1 try later")
          : to.startsWith("bad@")
          ? SmtpSink.reply(550, "5.1.1 no such user")
          : undefined
    })
    const dns = yield* FakeDns.make({
      "remote.test": { MX: [{ priority: 10, exchange: "mx.remote.test" }] },
      "mx.remote.test": { A: ["127.0.0.1"] }
    })
    const env = {
      CARTERO_SMTP_PORT: "0",
      CARTERO_DATA_DIR: dataDir,
      CARTERO_HOSTNAME: "mx.test",
      CARTERO_LOCAL_DOMAINS: "example.test",
      CARTERO_TRUSTED_NETWORKS: "127.0.0.0/8",
      CARTERO_DNS_SERVERS: `127.0.0.1:${dns.port}`,
      CARTERO_OUTBOUND_PORT: String(sink.port),
      CARTERO_OUTBOUND_TLS: "none",
      CARTERO_MAX_MESSAGE_SIZE: "2000",
      CARTERO_LOG_LEVEL: "info",
      CARTERO_LOG_FORMAT: format
    }
    const { console, lines } = capture()
    const context = yield* Layer.build(
      MtaApp.MtaApp.layerWith({ plugins: [noSpam, ...Defaults.plugins] }).pipe(
        Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env }))),
        Layer.provide(Layer.succeed(Console.Console, console))
      )
    )
    const mx = Context.get(context, SmtpServer.SmtpServer).address("mx")
    if (mx === undefined) return yield* Effect.die("no MX listener")
    yield* Transcript.run({ host: mx.host, port: mx.port }, session)
    // The original's attempts (the bounce to alice, from <>, comes after them).
    const attempts = () => lines.filter((l) => l.includes("delivery attempt") && /from"?[=:]"?<alice@/.test(l)).length
    const deadline = Date.now() + 15_000
    while (attempts() < 3 && Date.now() < deadline) yield* Effect.sleep("50 millis")
    return lines
  }).pipe(Effect.scoped)

const keys = {
  accepted: ["session", "txn", "client", "helo", "user", "from", "to", "recipients", "size", "reply"],
  refused: ["session", "txn", "client", "helo", "user", "from", "to", "phase", "plugin", "reply"],
  attempt: ["worker", "queueId", "domain", "txn", "from", "to", "relay", "delay", "duration", "attempts", "status", "reply"]
}

describe("log lines", () => {
  it.live("logfmt: each event with its keys, each key once", () =>
    Effect.gen(function*() {
      const lines = (yield* run("logfmt")).map(logfmt)
      for (const line of lines) {
        const names = line.map(([k]) => k)
        assert.strictEqual(new Set(names).size, names.length, `duplicate key in ${JSON.stringify(line)}`)
      }
      const event = (message: string) => lines.filter((l) => l.find(([k]) => k === "message")?.[1] === message)
      const values = (line: ReadonlyArray<[string, string]>) => Object.fromEntries(line)
      const head = ["timestamp", "level", "fiber", "message"]

      // The bounce to alice may be accepted too (from <>, the DSN delivered to this server over SMTP).
      const [accepted, ...moreAccepted] = event("message accepted").filter((l) => values(l)["from"] !== "<>")
      assert.strictEqual(moreAccepted.length, 0)
      assert.deepStrictEqual(accepted?.map(([k]) => k), [...head, ...keys.accepted])
      const a = values(accepted ?? [])
      assert.deepInclude(a, {
        level: "INFO",
        client: "127.0.0.1",
        helo: "client.test",
        user: "",
        from: "<alice@example.test>",
        to: "<ok@remote.test>,<later@remote.test>,<bad@remote.test>",
        recipients: "3"
      })
      assert.match(a["size"] ?? "", /^\d+$/)
      assert.match(a["reply"] ?? "", /^250 2\.6\.0 Message queued as \S+$/)

      const refused = event("refused")
      assert.strictEqual(refused.length, 2)
      for (const line of refused) assert.deepStrictEqual(line.map(([k]) => k), [...head, ...keys.refused])
      assert.deepInclude(values(refused[0] ?? []), {
        phase: "mailFrom",
        plugin: "no-spam",
        reply: "550 5.7.1 No spam, thanks",
        from: "<spammer@remote.test>",
        to: "",
        client: "127.0.0.1",
        helo: "client.test"
      })
      assert.deepInclude(values(refused[1] ?? []), {
        phase: "message",
        plugin: "server",
        from: "<alice@example.test>",
        to: "<ok@remote.test>"
      })
      assert.match(values(refused[1] ?? [])["reply"] ?? "", /^552 5\.3\.4 /)

      const attempts = event("delivery attempt").filter((l) => values(l)["from"] !== "<>")
      assert.strictEqual(attempts.length, 3)
      for (const line of attempts) assert.deepStrictEqual(line.map(([k]) => k), [...head, ...keys.attempt])
      const byRecipient = Object.fromEntries(attempts.map((l) => [values(l)["to"], values(l)]))
      assert.deepInclude(byRecipient["<ok@remote.test>"], { status: "sent", reply: "250 2.0.0 Ok: queued as 1", attempts: "1", txn: a["txn"] })
      assert.deepInclude(byRecipient["<later@remote.test>"], { status: "deferred", reply: "451 4.2.1 try later" })
      assert.deepInclude(byRecipient["<bad@remote.test>"], { status: "bounced", reply: "550 5.1.1 no such user" })
      for (const line of attempts) {
        const v = values(line)
        assert.match(v["relay"] ?? "", /^mx\.remote\.test\[127\.0\.0\.1\]:\d+$/)
        assert.match(v["delay"] ?? "", /^\d+\.\d{3}$/)
        assert.match(v["duration"] ?? "", /^\d+\.\d{3}$/)
        assert.strictEqual(v["from"], "<alice@example.test>")
      }
    }))

  it.live("JSON: the same events, message one string, the same annotation keys", () =>
    Effect.gen(function*() {
      const lines = (yield* run("json")).map((l) => JSON.parse(l) as Record<string, unknown>)
      for (const line of lines) {
        assert.strictEqual(typeof line["message"], "string")
        assert.includeMembers(Object.keys(line), ["message", "level", "timestamp", "annotations", "spans", "fiberId"])
      }
      const event = (message: string) => lines.filter((l) => l["message"] === message)
      const annotations = (line: Record<string, unknown> | undefined) => (line?.["annotations"] ?? {}) as Record<string, unknown>
      const top = ["message", "level", "timestamp", "annotations", "spans", "fiberId"]

      const [accepted] = event("message accepted").filter((l) => annotations(l)["from"] !== "<>")
      assert.deepStrictEqual(Object.keys(accepted ?? {}), top)
      assert.deepStrictEqual(Object.keys(annotations(accepted)), keys.accepted)
      assert.deepInclude(annotations(accepted), { recipients: 3, client: "127.0.0.1", from: "<alice@example.test>" })

      const refused = event("refused")
      assert.strictEqual(refused.length, 2)
      for (const line of refused) assert.deepStrictEqual(Object.keys(annotations(line)), keys.refused)
      assert.deepInclude(annotations(refused[0]), { phase: "mailFrom", plugin: "no-spam", reply: "550 5.7.1 No spam, thanks" })
      assert.deepInclude(annotations(refused[1]), { phase: "message", plugin: "server" })

      const attempts = event("delivery attempt").filter((l) => annotations(l)["from"] !== "<>")
      assert.strictEqual(attempts.length, 3)
      for (const line of attempts) assert.deepStrictEqual(Object.keys(annotations(line)), keys.attempt)
      assert.sameMembers(attempts.map((l) => annotations(l)["status"]), ["sent", "deferred", "bounced"])
    }))
})
