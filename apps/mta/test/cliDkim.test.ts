/**
 * `cartero dkim keygen|record` in-process: the key file written (mode 0600, never replaced), the record printed
 * (255-octet strings), and, end to end, that a message signed by `@cartero/plugin-dkim-sign` with the written key
 * verifies (mailauth) against exactly the record the command printed.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { OutboundPipeline } from "@cartero/delivery"
import { DkimSign } from "@cartero/plugin-dkim-sign"
import { TestSession } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect, References } from "effect"
import { dkimVerify } from "mailauth"
import { cli, json } from "./support/Cli.ts"

interface RecordView {
  readonly domain: string
  readonly selector: string
  readonly type: string
  readonly bits: number | null
  readonly keyFile: string
  readonly name: string
  readonly record: string
  readonly strings: ReadonlyArray<string>
  readonly zoneLine: string
}

const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "cartero-cli-dkim-"))
  return { dir, cleanup: Effect.sync(() => rmSync(dir, { recursive: true, force: true })) }
}

/** Signs a message with the plugin using `view`'s key, then verifies it with mailauth against `view`'s strings. */
const signAndVerify = (view: RecordView) =>
  Effect.gen(function*() {
    const pipeline = yield* OutboundPipeline.OutboundPipeline
    const raw = Buffer.from(`From: Alice <alice@${view.domain}>\r\nTo: bob@dest.test\r\nSubject: hi\r\n\r\nHello.\r\n`)
    const headers = yield* pipeline.beforeSend(TestSession.send(["bob@dest.test"], raw))
    const signed = Buffer.concat([OutboundPipeline.renderHeaders(headers), raw])
    // The published record, exactly as printed: its character-strings, as a resolver returns a TXT record.
    const resolver = async (name: string, type: string) => {
      if (type === "TXT" && name === view.name) return [[...view.strings]]
      throw Object.assign(new Error(`no ${type} for ${name}`), { code: "ENOTFOUND" })
    }
    const result = yield* Effect.promise(() => dkimVerify(signed, { resolver }))
    return result.results.map((r) => `${r.selector}:${r.status.result}`)
  }).pipe(
    Effect.provide(OutboundPipeline.OutboundPipeline.layer([DkimSign.plugin({ keys: [{ domain: view.domain, selector: view.selector, keyFile: view.keyFile }] })])),
    Effect.provideService(References.MinimumLogLevel, "Warn")
  )

const asView = (v: unknown): RecordView => v as RecordView

describe("cartero dkim", () => {
  it.live("keygen (RSA, default 2048): a 0600 key file, a record in 255-octet strings, and they sign and verify", () => {
    const { dir, cleanup } = tempDir()
    return Effect.gen(function*() {
      const run = yield* cli({}, "dkim", "keygen", "--domain", "Example.COM", "--selector", "s1", "--out", join(dir, "keys"), "--json")
      const view = asView(json(run))
      assert.deepInclude(view, { domain: "example.com", selector: "s1", type: "rsa", bits: 2048, keyFile: join(dir, "keys", "example.com.s1.pem"), name: "s1._domainkey.example.com" })
      assert.strictEqual(statSync(view.keyFile).mode & 0o777, 0o600)
      assert.match(readFileSync(view.keyFile, "utf8"), /^-----BEGIN PRIVATE KEY-----\n/)
      assert.match(view.record, /^v=DKIM1; k=rsa; p=[A-Za-z0-9+/]+=*$/)
      assert.isAbove(view.strings.length, 1, "a 2048-bit key's record needs two strings")
      assert.isTrue(view.strings.every((s) => s.length <= 255))
      assert.strictEqual(view.strings.join(""), view.record)
      assert.strictEqual(view.zoneLine, `s1._domainkey.example.com. IN TXT ${view.strings.map((s) => `"${s}"`).join(" ")}`)
      assert.deepStrictEqual(yield* signAndVerify(view), ["s1:pass"])
    }).pipe(Effect.ensuring(cleanup))
  })

  it.live("keygen --type ed25519: the raw 32-octet key in p=, signs and verifies; the text output shows record and config", () => {
    const { dir, cleanup } = tempDir()
    return Effect.gen(function*() {
      const view = asView(json(yield* cli({}, "dkim", "keygen", "--domain", "example.com", "--selector", "ed1", "--type", "ed25519", "--out", dir, "--json")))
      assert.deepInclude(view, { type: "ed25519", bits: null })
      assert.strictEqual(Buffer.from(view.record.replace(/^v=DKIM1; k=ed25519; p=/, ""), "base64").length, 32)
      assert.deepStrictEqual(yield* signAndVerify(view), ["ed1:pass"])

      const text = yield* cli({}, "dkim", "keygen", "--domain", "example.com", "--selector", "ed2", "--type", "ed25519", "--out", dir)
      assert.strictEqual(text.code, 0, text.stderr)
      const keyFile = join(dir, "example.com.ed2.pem")
      assert.include(text.stdout, `Wrote the private key to ${keyFile} (ed25519, mode 0600).`)
      assert.match(text.stdout, /\ned2\._domainkey\.example\.com\. IN TXT "v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}="\n/)
      assert.include(text.stdout, `outbound: [DkimSign.plugin({ keys: [{ domain: "example.com", selector: "ed2", keyFile: ${JSON.stringify(keyFile)} }] }), ...defaults.outbound]`)
      assert.include(text.stdout, `CARTERO_DKIM_KEYS=example.com:ed2:${keyFile}`)
    }).pipe(Effect.ensuring(cleanup))
  })

  it.live("record prints the same record for an existing key", () => {
    const { dir, cleanup } = tempDir()
    return Effect.gen(function*() {
      const made = asView(json(yield* cli({}, "dkim", "keygen", "--domain", "example.com", "--selector", "s1", "--out", dir, "--json")))
      const again = asView(json(yield* cli({}, "dkim", "record", "--domain", "example.com", "--selector", "s1", "--key", made.keyFile, "--json")))
      assert.deepStrictEqual(again, made)
    }).pipe(Effect.ensuring(cleanup))
  })

  it.live("refusals: an existing key file is never replaced; bad sizes, names and keys are one stderr line, exit 1", () => {
    const { dir, cleanup } = tempDir()
    return Effect.gen(function*() {
      const existing = join(dir, "example.com.s1.pem")
      writeFileSync(existing, "keep me")
      const again = yield* cli({}, "dkim", "keygen", "--domain", "example.com", "--selector", "s1", "--out", dir)
      assert.deepStrictEqual([again.code, again.stdout, again.stderr], [1, "", `cartero: ${existing}: already exists; not replaced (choose another selector, or move the old key away first)\n`])
      assert.strictEqual(readFileSync(existing, "utf8"), "keep me")

      const refused = (...args: ReadonlyArray<string>) =>
        cli({}, "dkim", ...args).pipe(Effect.map((r) => {
          assert.strictEqual(r.code, 1, r.stdout)
          assert.notMatch(r.stderr, /\n\s+at /, "no stack trace")
          return r.stderr
        }))
      assert.strictEqual(yield* refused("keygen", "--domain", "example.com", "--selector", "s2", "--bits", "512", "--out", dir), "cartero: RSA key size must be a multiple of 8 from 1024 to 8192 bits, got 512\n")
      assert.strictEqual(yield* refused("keygen", "--domain", "example.com", "--selector", "s2", "--type", "ed25519", "--bits", "2048", "--out", dir), "cartero: --bits applies to RSA keys only (Ed25519 keys have a fixed size)\n")
      assert.strictEqual(yield* refused("keygen", "--domain", "example com", "--selector", "s2", "--out", dir), "cartero: --domain \"example com\" is not a domain name\n")
      assert.strictEqual(yield* refused("keygen", "--domain", "example.com", "--selector", "s_2", "--out", dir), "cartero: --selector \"s_2\" is not a selector (letters, digits, hyphens, dots)\n")
      assert.include(yield* refused("record", "--domain", "example.com", "--selector", "s1", "--key", existing), `cartero: DKIM key s1._domainkey.example.com (${existing}): not an unencrypted PEM private key`)
      assert.include(yield* refused("record", "--domain", "example.com", "--selector", "s1", "--key", join(dir, "missing.pem")), "cannot read the key")
    }).pipe(Effect.ensuring(cleanup))
  })
})
