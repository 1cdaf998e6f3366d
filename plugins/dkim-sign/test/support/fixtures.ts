/**
 * Keys written to a temporary directory, the DNS records that publish them (FakeDns zones), and mailauth's
 * verifier over `@cartero/dns` answering from those zones.
 */
import { type OutboundHooks, OutboundPipeline } from "@cartero/delivery"
import { Resolver } from "@cartero/mail-auth"
import * as MailAuthTesting from "@cartero/mail-auth/testing"
import type { FakeDns } from "@cartero/testing"
import { TempDir, TestSession } from "@cartero/testing"
import { Effect, type Scope } from "effect"
import { dkimVerify, type DKIMResult } from "mailauth"
import * as crypto from "node:crypto"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import * as DnsRecord from "../../src/DnsRecord.ts"

/** Made once per test file: RSA generation takes a moment. */
export const rsaKey = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey
export const ed25519Key = crypto.generateKeyPairSync("ed25519").privateKey

export const pem = (key: crypto.KeyObject): string => key.export({ type: "pkcs8", format: "pem" }).toString()

/** A key to configure and the record to publish for it. */
export interface TestKey {
  readonly domain: string
  readonly selector: string
  readonly key: crypto.KeyObject
}

export const rsa = (domain = "example.test", selector = "rsa1"): TestKey => ({ domain, selector, key: rsaKey })
export const ed25519 = (domain = "example.test", selector = "ed1"): TestKey => ({ domain, selector, key: ed25519Key })

/** Writes each key to `<dir>/<selector>.<domain>.pem`; the plugin's `keys` option. */
export const writeKeys = (dir: string, keys: ReadonlyArray<TestKey>) =>
  Effect.promise(() =>
    Promise.all(keys.map(async (k) => {
      const keyFile = Path.join(dir, `${k.selector}.${k.domain}.pem`)
      await Fs.writeFile(keyFile, pem(k.key), { mode: 0o600 })
      return { domain: k.domain, selector: k.selector, keyFile }
    }))
  )

/** The keys' DKIM records as FakeDns zones (split into 255-octet character-strings, as published). */
export const zones = (keys: ReadonlyArray<TestKey>): FakeDns.Zones =>
  Object.fromEntries(keys.map((k) => [
    DnsRecord.name(k.selector, k.domain),
    { TXT: [DnsRecord.strings(DnsRecord.text(k.key.asymmetricKeyType === "rsa" ? "rsa" : "ed25519", DnsRecord.publicKeyValue(k.key)))] }
  ]))

/** mailauth's verdict on every signature of `message`, its DNS answered by FakeDns with `zones`. */
export const verify = (message: Uint8Array, zoneSet: FakeDns.Zones) =>
  Effect.gen(function*() {
    const resolver = yield* Resolver.fromContext
    const result = yield* Effect.promise(() => dkimVerify(Buffer.from(message), { resolver }))
    return result.results
  }).pipe(Effect.provide(MailAuthTesting.dns(zoneSet)), Effect.orDie)

/** `result=comment` for each signature, e.g. `["pass", "pass"]`. */
export const outcomes = (results: ReadonlyArray<DKIMResult>): ReadonlyArray<string> => results.map((r) => r.status.result)

/** The tags of the `DKIM-Signature` fields of `message`, top first (unfolded, whitespace removed). */
export const signatureTags = (message: Uint8Array): ReadonlyArray<Record<string, string>> => {
  const head = Buffer.from(message).toString("latin1").split("\r\n\r\n")[0] ?? ""
  const fields = head.replace(/\r\n[ \t]/g, " ").split("\r\n").filter((l) => /^dkim-signature:/i.test(l))
  return fields.map((f) =>
    Object.fromEntries(f.slice(f.indexOf(":") + 1).split(";").map((t) => t.trim()).filter((t) => t !== "").map((t) => {
      const eq = t.indexOf("=")
      return [t.slice(0, eq).trim(), t.slice(eq + 1).replace(/\s+/g, "")]
    }))
  )
}

/** The signed message as the delivery worker sends it: the `beforeSend` fields, rendered, on top of the message. */
export const signWith = <E>(plugin: OutboundHooks.OutboundPlugin<E>, raw: string | Uint8Array) =>
  Effect.gen(function*() {
    const pipeline = yield* OutboundPipeline.OutboundPipeline
    const bytes = typeof raw === "string" ? Buffer.from(raw, "utf8") : Buffer.from(raw)
    const headers = yield* pipeline.beforeSend(TestSession.send(["bob@dest.test"], bytes))
    return { headers, message: new Uint8Array(Buffer.concat([OutboundPipeline.renderHeaders(headers), bytes])) }
  }).pipe(Effect.provide(OutboundPipeline.OutboundPipeline.layer([plugin])))

/** A temporary directory with `keys` written into it, for the scope. */
export const keyDir = (keys: ReadonlyArray<TestKey>): Effect.Effect<{ readonly dir: string; readonly sources: ReadonlyArray<{ domain: string; selector: string; keyFile: string }> }, never, Scope.Scope> =>
  Effect.gen(function*() {
    const dir = yield* TempDir.make("cartero-dkim-")
    return { dir, sources: yield* writeKeys(dir, keys) }
  })

/** A plain message from `from`. */
export const message = (from = "Alice <alice@example.test>", body = "Hello Bob.\r\n"): string =>
  `From: ${from}\r\nTo: Bob <bob@dest.test>\r\nSubject: Lunch\r\nDate: Mon, 01 Jan 2024 10:00:00 +0000\r\nMessage-ID: <m1@example.test>\r\n\r\n${body}`
