import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as crypto from "node:crypto"
import * as DnsRecord from "../src/DnsRecord.ts"
import * as KeyGen from "../src/KeyGen.ts"

const p = (record: string) => /; p=([A-Za-z0-9+/=]+)$/.exec(record)?.[1] ?? ""

describe("KeyGen and DnsRecord", () => {
  it.effect("RSA: 2048 bits by default; p= is the DER SubjectPublicKeyInfo of the private key's public half", () =>
    Effect.gen(function*() {
      const pair = yield* KeyGen.generate("rsa")
      assert.strictEqual(pair.bits, 2048)
      const key = crypto.createPrivateKey(pair.privateKeyPem)
      assert.strictEqual(key.asymmetricKeyDetails?.modulusLength, 2048)
      assert.match(pair.privateKeyPem, /^-----BEGIN PRIVATE KEY-----\n/)
      assert.match(pair.record, /^v=DKIM1; k=rsa; p=/)
      const published = crypto.createPublicKey({ key: Buffer.from(p(pair.record), "base64"), format: "der", type: "spki" })
      assert.isTrue(published.equals(crypto.createPublicKey(key)))
    }))

  it.effect("Ed25519: p= is the raw 32-octet public key (RFC 8463 §4.2), not its SPKI", () =>
    Effect.gen(function*() {
      const pair = yield* KeyGen.generate("ed25519")
      assert.strictEqual(pair.bits, undefined)
      assert.match(pair.record, /^v=DKIM1; k=ed25519; p=/)
      const raw = Buffer.from(p(pair.record), "base64")
      assert.strictEqual(raw.length, 32)
      const spki = crypto.createPublicKey(crypto.createPrivateKey(pair.privateKeyPem)).export({ type: "spki", format: "der" })
      assert.isTrue(spki.subarray(12).equals(raw))
    }))

  it.effect("refuses sizes outside 1024-8192 (multiples of 8) and --bits for Ed25519", () =>
    Effect.gen(function*() {
      const refused = (type: DnsRecord.KeyType, bits: number) => KeyGen.generate(type, bits).pipe(Effect.flip, Effect.map((e) => e.message))
      assert.strictEqual(yield* refused("rsa", 512), "RSA key size must be a multiple of 8 from 1024 to 8192 bits, got 512")
      assert.include(yield* refused("rsa", 16384), "got 16384")
      assert.include(yield* refused("rsa", 2049), "got 2049")
      assert.strictEqual(yield* refused("ed25519", 256), "--bits applies to RSA keys only (Ed25519 keys have a fixed size)")
      assert.strictEqual((yield* KeyGen.generate("rsa", 1024)).bits, 1024)
    }))

  it("a zone line splits the record into quoted character-strings of at most 255 octets", () => {
    const record = `v=DKIM1; k=rsa; p=${"A".repeat(600)}`
    const parts = DnsRecord.strings(record)
    assert.deepStrictEqual(parts.map((s) => s.length), [255, 255, record.length - 510])
    assert.strictEqual(parts.join(""), record)
    const line = DnsRecord.zoneLine("s1", "example.com", record)
    assert.strictEqual(line, `s1._domainkey.example.com. IN TXT "${parts[0]}" "${parts[1]}" "${parts[2]}"`)
    assert.strictEqual(DnsRecord.zoneLine("ed", "example.com", "v=DKIM1; k=ed25519; p=abc"), "ed._domainkey.example.com. IN TXT \"v=DKIM1; k=ed25519; p=abc\"")
  })
})
