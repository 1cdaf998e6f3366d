/**
 * The two filtering recipes of docs/filtering.md (`apps/mta/recipes/*.config.ts`, loaded as `pnpm start` loads a
 * config file), end to end, with two reference apps and a real DNS server (FakeDns on loopback): Alice's server is
 * the submission recipe (header completion, DKIM signing); Bob's is the inbound MX recipe (DNSBL, SPF, rate limits,
 * DKIM, ARC, DMARC, greylisting). The environment only points the recipes at the test world (names, ports,
 * directories, keys, the blocklist zone). The Alice → Bob scenario of Scenario.test.ts, filtered: Alice's signed
 * mail passes every check (and greylisting by SPF + aligned DKIM); a forgery of Alice's domain sent straight to
 * Bob's MX is refused under `p=reject`; a listed client is refused.
 */
import { Auth } from "@cartero/plugin-auth"
import * as DkimTesting from "@cartero/plugin-dkim-verify/testing"
import { SmtpServer } from "@cartero/server"
import { FakeDns, SmtpTestClient, TempDir, TestTls } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Context, Effect, Layer, type Scope } from "effect"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import nodemailer from "nodemailer"
import * as MtaApp from "../src/MtaApp.ts"
import { freePort } from "./support/FreePort.ts"

const password = "correct horse battery staple"
const rsa = DkimTesting.generate("rsa")

const recipe = (name: string) => Path.join(import.meta.dirname, "..", "recipes", `${name}.config.ts`)

/** Starts the reference app with a recipe and `env` over it, as `pnpm start` would, in the current scope. */
const startApp = (name: string, env: Record<string, string>) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(MtaApp.MtaApp.layerConfig.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({
      env: { CARTERO_CONFIG: recipe(name), CARTERO_SMTP_PORT: "0", CARTERO_LOG_LEVEL: "error", CARTERO_OUTBOUND_TLS: "opportunistic", ...env }
    })))))
    return Context.get(context, SmtpServer.SmtpServer)
  })

interface World {
  readonly dns: FakeDns.Service
  readonly aliceDir: string
  readonly bobDir: string
  readonly bobPort: number
  readonly keyFile: string
  readonly usersFile: string
  readonly certFile: string
  readonly certKeyFile: string
}

const world: Effect.Effect<World, unknown, Scope.Scope> = Effect.gen(function*() {
  const dns = yield* FakeDns.make({
    "someschool.test": { MX: [{ priority: 10, exchange: "mx.someschool.test" }] },
    "mx.someschool.test": { A: ["127.0.0.1"] },
    "example.test": { MX: [{ priority: 10, exchange: "mail.example.test" }], TXT: ["v=spf1 ip4:127.0.0.1 -all"] },
    "mail.example.test": { A: ["127.0.0.1"] },
    "s2026._domainkey.example.test": { TXT: [rsa.record] },
    "_dmarc.example.test": { TXT: ["v=DMARC1; p=reject; adkim=r; aspf=r"] },
    // the blocklist lists 127.0.0.2 only
    "2.0.0.127.bl.test": { A: ["127.0.0.2"], TXT: ["Listed for spam, see https://bl.test/127.0.0.2"] }
  })
  const aliceDir = yield* TempDir.make("cartero-alice-")
  const write = (name: string, content: string) =>
    Effect.as(Effect.promise(() => Fs.writeFile(Path.join(aliceDir, name), content, { mode: 0o600 })), Path.join(aliceDir, name))
  return {
    dns,
    aliceDir,
    bobDir: yield* TempDir.make("cartero-bob-"),
    bobPort: yield* freePort,
    keyFile: yield* write("dkim.pem", rsa.privateKey),
    usersFile: yield* write("users", `alice@example.test:${yield* Auth.hashPassword(password)}\n`),
    certFile: yield* write("cert.pem", TestTls.cert),
    certKeyFile: yield* write("key.pem", TestTls.key)
  }
})

/** apps/mta/recipes/submission.config.ts: header completion inbound, DKIM signing outbound. */
const alice = (w: World) =>
  startApp("submission", {
    CARTERO_HOSTNAME: "mail.example.test",
    CARTERO_DATA_DIR: w.aliceDir,
    CARTERO_LOCAL_DOMAINS: "example.test",
    CARTERO_SUBMISSION_PORT: "0",
    CARTERO_SMTPS_PORT: "0",
    CARTERO_AUTH_USERS_FILE: w.usersFile,
    CARTERO_TLS_CERT: w.certFile,
    CARTERO_TLS_KEY: w.certKeyFile,
    CARTERO_DKIM_KEYS: `example.test:s2026:${w.keyFile}`,
    CARTERO_DNS_SERVERS: `127.0.0.1:${w.dns.port}`,
    CARTERO_OUTBOUND_PORT: String(w.bobPort)
  })

/** apps/mta/recipes/inbound-mx.config.ts, pointed at the test world (loopback clients are checked by the blocklist). */
const bob = (w: World) =>
  startApp("inbound-mx", {
    CARTERO_HOSTNAME: "mx.someschool.test",
    CARTERO_AUTHSERV_ID: "mx.someschool.test",
    CARTERO_SMTP_PORT: String(w.bobPort),
    CARTERO_DATA_DIR: w.bobDir,
    CARTERO_LOCAL_DOMAINS: "someschool.test",
    CARTERO_LOCAL_ADDRESSES: "bob@someschool.test",
    CARTERO_DNS_SERVERS: `127.0.0.1:${w.dns.port}`,
    CARTERO_DNSBL_ZONES: "bl.test",
    CARTERO_DNSBL_CHECK_PRIVATE: "true",
    CARTERO_GREYLIST_DELAY: "1s"
  })

/** Alice's mail client: submission with STARTTLS and AUTH PLAIN (the test certificate is self-signed). */
const submit = (server: SmtpServer.SmtpServerShape, raw: string) =>
  Effect.gen(function*() {
    const submission = server.address("submission")
    if (submission === undefined) return yield* Effect.die("no submission listener")
    const transport = nodemailer.createTransport({
      host: "127.0.0.1", port: submission.port, secure: false, requireTLS: true,
      tls: { rejectUnauthorized: false },
      auth: { user: "alice@example.test", pass: password }
    })
    return yield* Effect.promise(() =>
      transport.sendMail({ envelope: { from: "alice@example.test", to: ["bob@someschool.test"] }, raw })
    ).pipe(Effect.ensuring(Effect.sync(() => transport.close())), Effect.timeout("20 seconds"))
  })

/** Files under Bob's Maildir `new/`, waiting up to `timeoutMs` for at least one. */
const awaitMail = (root: string, timeoutMs = 15_000) =>
  Effect.gen(function*() {
    const dir = Path.join(root, "mail", "someschool.test", "bob", "Maildir", "new")
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      const files = yield* Effect.promise(() => Fs.readdir(dir).catch(() => []))
      if (files.length > 0) return yield* Effect.promise(() => Promise.all(files.map((f) => Fs.readFile(Path.join(dir, f), "latin1"))))
      yield* Effect.sleep("50 millis")
    }
    return yield* Effect.die(new Error(`no mail for Bob within ${timeoutMs} ms`))
  })

/** One unfolded header field of a stored message. */
const field = (message: string, name: string): ReadonlyArray<string> => {
  const head = message.split("\r\n\r\n", 1)[0] ?? ""
  return head.replace(/\r\n[ \t]+/g, " ").split("\r\n").filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))
}

/** A plain SMTP session straight to Bob's MX, from `localAddress`; the replies of each line. */
const direct = (port: number, localAddress: string, lines: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const client = yield* SmtpTestClient.connect({ host: "127.0.0.1", port, localAddress, timeout: "10 seconds" })
    yield* client.readReply()
    const replies: Array<string> = []
    for (const line of lines) {
      const reply = yield* client.command(line)
      replies.push(reply.lines.join("\n"))
      if (/^[45]/.test(reply.lines[0] ?? "") && !line.startsWith("RCPT")) break
    }
    yield* client.close
    return replies
  })

const forged = [
  "From: Alice <alice@example.test>",
  "To: bob@someschool.test",
  "Subject: Please wire the money",
  "Message-ID: <forged@evil.test>",
  "Date: Mon, 07 Dec 2026 10:00:00 +0000",
  "",
  "Urgent.",
  "."
].join("\r\n")

describe("filtering recipes: Alice's submission server signs, Bob's MX verifies", () => {
  it.live("Alice's DKIM-signed mail reaches Bob with spf=pass, dkim=pass, dmarc=pass in one Authentication-Results", () =>
    Effect.gen(function*() {
      const w = yield* world
      yield* bob(w)
      const a = yield* alice(w)
      const raw = [
        "From: Alice <alice@example.test>",
        "To: Bob <bob@someschool.test>",
        "Bcc: carol@example.test",
        "Subject: Lunch on Friday?",
        "",
        "Hi Bob, lunch on Friday?",
        ""
      ].join("\r\n")
      const info = yield* submit(a, raw)
      assert.deepStrictEqual(info.accepted, ["bob@someschool.test"])

      const [stored] = yield* awaitMail(w.bobDir)
      if (stored === undefined) return
      const results = field(stored, "Authentication-Results")
      assert.strictEqual(results.length, 1, "exactly one Authentication-Results field")
      const ar = results[0] ?? ""
      assert.match(ar, /^Authentication-Results: mx\.someschool\.test;/)
      assert.match(ar, /spf=pass [^;]*smtp\.mailfrom=alice@example\.test/)
      assert.match(ar, /dkim=pass [^;]*header\.i=@example\.test header\.s=s2026/)
      assert.match(ar, /arc=none/)
      assert.match(ar, /dmarc=pass [^;]*header\.from=example\.test/)
      assert.match(field(stored, "Received-SPF")[0] ?? "", /^Received-SPF: pass /)
      assert.strictEqual(field(stored, "DKIM-Signature").length, 1, "Alice's server signed once")
      assert.match(field(stored, "Received")[1] ?? "", /^Received: by mail\.example\.test \(Cartero\) with ESMTPSA id /, "privacy: no client address")
      assert.strictEqual(field(stored, "Bcc").length, 0, "the submission server removed Bcc")
      assert.strictEqual(field(stored, "Message-ID").length, 1, "the submission server added a Message-ID")
      assert.strictEqual(field(stored, "Date").length, 1, "the submission server added a Date")
    }).pipe(Effect.scoped))

  it.live("a forgery of Alice's domain sent straight to Bob's MX is greylisted, then refused under p=reject", () =>
    Effect.gen(function*() {
      const w = yield* world
      yield* bob(w)
      const envelope = ["EHLO forger.test", "MAIL FROM:<ceo@evil.test>", "RCPT TO:<bob@someschool.test>"]
      const first = yield* direct(w.bobPort, "127.0.0.1", envelope)
      assert.match(first[2] ?? "", /^451 4\.7\.1 Greylisted/)
      yield* Effect.sleep("1200 millis")
      const second = yield* direct(w.bobPort, "127.0.0.1", [...envelope, "DATA", forged])
      assert.match(second[2] ?? "", /^250 /, "the retry after the greylisting delay passes")
      assert.strictEqual(second[4], "550 5.7.1 Message rejected by the DMARC policy of example.test: not authenticated by an aligned SPF or DKIM result")
      const files = yield* Effect.promise(() => Fs.readdir(Path.join(w.bobDir, "mail", "someschool.test", "bob", "Maildir", "new")).catch(() => []))
      assert.strictEqual(files.length, 0, "nothing was stored")
    }).pipe(Effect.scoped))

  it.live("a client on the blocklist is refused with the list's text", () =>
    Effect.gen(function*() {
      const w = yield* world
      yield* bob(w)
      const replies = yield* direct(w.bobPort, "127.0.0.2", ["EHLO listed.test", "MAIL FROM:<x@evil.test>", "RCPT TO:<bob@someschool.test>"])
      assert.strictEqual(replies[2], "554 5.7.1 bl.test lists 127.0.0.2: Listed for spam, see https://bl.test/127.0.0.2")
    }).pipe(Effect.scoped))

  it("docs/filtering.md shows both recipes exactly as tested", () =>
    Effect.runPromise(Effect.gen(function*() {
      const docs = yield* Effect.promise(() => Fs.readFile(Path.join(import.meta.dirname, "..", "..", "..", "docs", "filtering.md"), "utf8"))
      for (const name of ["inbound-mx", "submission"]) {
        const file = yield* Effect.promise(() => Fs.readFile(recipe(name), "utf8"))
        assert.include(docs, file.trimEnd(), `docs/filtering.md has apps/mta/recipes/${name}.config.ts verbatim`)
      }
    })))
})
