/**
 * Keys and options are checked when the outbound pipeline is built: every problem stops start-up with a message
 * naming the key (selector, domain, file) and what is wrong; a weak RSA key starts, with a warning.
 */
import { OutboundPipeline } from "@cartero/delivery"
import { TempDir } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Logger, References } from "effect"
import * as crypto from "node:crypto"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import * as DkimSign from "../src/DkimSign.ts"
import { keyDir, pem, rsa } from "./support/fixtures.ts"

/** The start-up failure's message, or "started". */
const start = (options: DkimSign.Options) =>
  Layer.build(OutboundPipeline.OutboundPipeline.layer([DkimSign.plugin(options)])).pipe(
    Effect.as("started"),
    Effect.catch((e) => Effect.succeed(e.message)),
    Effect.scoped,
    Effect.provideService(References.MinimumLogLevel, "Warn")
  )

const file = (dir: string, name: string, text: string) =>
  Effect.promise(async () => {
    const path = Path.join(dir, name)
    await Fs.writeFile(path, text, { mode: 0o600 })
    return path
  })

describe("DkimSign start-up", () => {
  it.live("missing, unreadable and non-key files are refused with the key's name and the file", () =>
    Effect.gen(function*() {
      const dir = yield* TempDir.make("cartero-dkim-")
      const missing = Path.join(dir, "nope.pem")
      assert.strictEqual(
        yield* start({ keys: [{ domain: "example.test", selector: "s1", keyFile: missing }] }),
        `DKIM key s1._domainkey.example.test (${missing}): no such file`
      )
      assert.include(yield* start({ keys: [{ domain: "example.test", selector: "s1", keyFile: dir }] }), "is a directory")
      const garbage = yield* file(dir, "garbage.pem", "hello\n")
      assert.include(yield* start({ keys: [{ domain: "example.test", selector: "s1", keyFile: garbage }] }), "not an unencrypted PEM private key")
      const publicOnly = yield* file(dir, "public.pem", crypto.createPublicKey(rsa().key).export({ type: "spki", format: "pem" }).toString())
      assert.include(yield* start({ keys: [{ domain: "example.test", selector: "s1", keyFile: publicOnly }] }), "not an unencrypted PEM private key")
      const encrypted = yield* file(dir, "encrypted.pem", rsa().key.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "secret" }).toString())
      assert.include(yield* start({ keys: [{ domain: "example.test", selector: "s1", keyFile: encrypted }] }), "not an unencrypted PEM private key")
    }).pipe(Effect.scoped))

  it.live("wrong key types are refused: EC (P-256) and X25519 keys are not DKIM signing keys", () =>
    Effect.gen(function*() {
      const dir = yield* TempDir.make("cartero-dkim-")
      const ec = yield* file(dir, "ec.pem", pem(crypto.generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey))
      assert.strictEqual(
        yield* start({ keys: [{ domain: "example.test", selector: "ec1", keyFile: ec }] }),
        `DKIM key ec1._domainkey.example.test (${ec}): an ec key; DKIM signs with RSA or Ed25519 keys`
      )
      const x25519 = yield* file(dir, "x.pem", pem(crypto.generateKeyPairSync("x25519").privateKey))
      assert.include(yield* start({ keys: [{ domain: "example.test", selector: "x1", keyFile: x25519 }] }), "a x25519 key; DKIM signs with RSA or Ed25519 keys")
    }).pipe(Effect.scoped))

  it.live("RSA under 1024 bits is refused; 1024 to 2047 bits starts with a warning; 2048 quietly", () =>
    Effect.gen(function*() {
      const dir = yield* TempDir.make("cartero-dkim-")
      const small = yield* file(dir, "512.pem", pem(crypto.generateKeyPairSync("rsa", { modulusLength: 512 }).privateKey))
      assert.include(
        yield* start({ keys: [{ domain: "example.test", selector: "old", keyFile: small }] }),
        "a 512-bit RSA key is too small: verifiers refuse RSA keys under 1024 bits (RFC 8301); generate a 2048-bit one"
      )
      const weak = yield* file(dir, "1024.pem", pem(crypto.generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey))
      const warnings: Array<string> = []
      const capture = Logger.make<unknown, void>((o) => {
        if (o.logLevel === "Warn") warnings.push(String(Array.isArray(o.message) ? o.message[0] : o.message))
      })
      const { sources } = yield* keyDir([rsa()])
      const results = yield* Effect.all([
        start({ keys: [{ domain: "example.test", selector: "weak", keyFile: weak }] }),
        start({ keys: sources })
      ]).pipe(Effect.provide(Logger.layer([capture])))
      assert.deepStrictEqual(results, ["started", "started"])
      assert.deepStrictEqual(warnings, [`DKIM key weak._domainkey.example.test (${weak}): a 1024-bit RSA key is weak; use 2048 bits (RFC 8301)`])
    }).pipe(Effect.scoped))

  it.live("options that cannot work stop start-up", () =>
    Effect.gen(function*() {
      const { sources } = yield* keyDir([rsa()])
      const [source = { domain: "", selector: "", keyFile: "" }] = sources
      assert.strictEqual(yield* start({ keys: [] }), "dkim-sign: no keys configured: give at least one { domain, selector, keyFile }")
      assert.strictEqual(yield* start({ keys: [source, { ...source, domain: "EXAMPLE.test" }] }), "dkim-sign: two keys for rsa1._domainkey.example.test: a selector names one key")
      assert.strictEqual(yield* start({ keys: sources, defaultDomain: "other.test" }), "dkim-sign: the default signing domain \"other.test\" has no key")
      assert.strictEqual(yield* start({ keys: sources, headers: ["Subject", "To"], oversign: [] }), "DKIM signed headers: From must be signed (RFC 6376 §5.4)")
      assert.strictEqual(yield* start({ keys: sources, headers: ["From", "DKIM-Signature"] }), "DKIM signed headers: DKIM-Signature cannot be listed (each signature covers itself)")
      assert.strictEqual(yield* start({ keys: sources, headers: ["From", "Bad Name"] }), "DKIM signed headers: \"Bad Name\" is not a header field name")
      assert.strictEqual(yield* start({ keys: sources, expireAfter: "10 millis" }), "dkim-sign: expireAfter must be at least one second")
      assert.include(yield* start({ keys: [{ ...source, domain: "not a domain" }] }), "\"not a domain\" is not a domain name")
      assert.include(yield* start({ keys: [{ ...source, selector: "s_1" }] }), "\"s_1\" is not a selector")
      assert.strictEqual(yield* start({ keys: sources }), "started")
    }).pipe(Effect.scoped))
})
