/**
 * Shared test setup: DNS zones with SPF, DKIM keys and DMARC records; a DKIM key pair made for the run; a pipeline of
 * the real SPF plugin and the DMARC plugin; and a helper that drives one transaction through MAIL FROM (SPF), the
 * DKIM and ARC verification the verifier plugins would do (mailauth's dkimVerify on a message mailauth's dkimSign
 * signed, its arc()) and the `message` phase.
 */
import { Pipeline, type Session } from "@cartero/core"
import { AuthenticationResults, Resolver, Results } from "@cartero/mail-auth"
import * as MailAuthTesting from "@cartero/mail-auth/testing"
import { Spf } from "@cartero/plugin-spf"
import { Verdict } from "@cartero/smtp"
import { type FakeDns, TestSession } from "@cartero/testing"
import { Effect, Layer, Option } from "effect"
import { arc, dkimSign, dkimVerify } from "mailauth"
import * as Crypto from "node:crypto"
import * as Dmarc from "../src/Dmarc.ts"
import type * as DmarcPolicy from "../src/DmarcPolicy.ts"

const keys = Crypto.generateKeyPairSync("rsa", { modulusLength: 2048 })
export const privateKey = keys.privateKey.export({ type: "pkcs8", format: "pem" }).toString()
const publicKey = keys.publicKey.export({ type: "spki", format: "der" }).toString("base64")
const dkimKey = { TXT: [`v=DKIM1; k=rsa; p=${publicKey}`] }

/** The test client's address (TestSession.connection); the SPF records below allow it, and loopback, where said. */
const allowed = "v=spf1 ip4:203.0.113.5 ip4:127.0.0.1 -all"
const denied = "v=spf1 ip4:192.0.2.1 -all"

export const zones: FakeDns.Zones = {
  // p=reject: SPF allows the client for reject.test and its subdomain bounce.reject.test, not for spoof.test.
  "reject.test": { TXT: [denied] },
  "bounce.reject.test": { TXT: [allowed] },
  "_dmarc.reject.test": { TXT: ["v=DMARC1; p=reject; rua=mailto:dmarc@reject.test"] },
  "s1._domainkey.reject.test": dkimKey,
  "s1._domainkey.mail.reject.test": dkimKey,
  "passing.test": { TXT: [allowed] },
  "_dmarc.passing.test": { TXT: ["v=DMARC1; p=reject"] },
  "_dmarc.none.test": { TXT: ["v=DMARC1; p=none"] },
  "_dmarc.quarantine.test": { TXT: ["v=DMARC1; p=quarantine"] },
  "_dmarc.pct.test": { TXT: ["v=DMARC1; p=reject; pct=0"] },
  // Strict alignment: only strict.test itself aligns.
  "_dmarc.strict.test": { TXT: ["v=DMARC1; p=reject; adkim=s; aspf=s"] },
  "s1._domainkey.strict.test": dkimKey,
  "s1._domainkey.mail.strict.test": dkimKey,
  "bounce.strict.test": { TXT: [allowed] },
  // The organisational domain of mail.example.co.uk is example.co.uk (co.uk is a public suffix).
  "_dmarc.example.co.uk": { TXT: ["v=DMARC1; p=none; sp=reject"] },
  "_dmarc.servfail.test": { fail: "SERVFAIL" },
  "_dmarc.slow.test": { fail: "TIMEOUT" },
  "_dmarc.two.test": { TXT: ["v=DMARC1; p=reject", "v=DMARC1; p=none"] },
  "_dmarc.nosemicolon.test": { TXT: ["v=DMARC1 p=reject"] },
  "_dmarc.bogus.test": { TXT: ["v=DMARC1; p=bogus"] },
  "spoof.test": { TXT: [denied] }
}

/** SPF acts on nothing here (`tag`), so that DMARC decides. */
export const pipelineOf = (options: DmarcPolicy.Options = {}) =>
  Pipeline.Pipeline.layer([
    Spf.plugin({ hostname: "mx.test", fail: "tag", softfail: "tag", temperror: "tag" }),
    Dmarc.plugin({ authservId: "mx.test", ...options })
  ]).pipe(Layer.provideMerge(MailAuthTesting.dns(zones)))

/** A message from `from` (the whole header field value, or no From field for `undefined`). */
export const messageFrom = (from: ReadonlyArray<string>, extra = ""): string =>
  `${from.map((f) => `From: ${f}\r\n`).join("")}To: bob@example.test\r\nSubject: hello\r\nDate: Mon, 7 Dec 2026 10:00:00 +0000\r\nMessage-ID: <1@test>\r\n${extra}\r\nHello Bob.\r\n`

/** Signs `raw` with the test key as `d=<domain>; s=s1`. */
export const sign = (raw: string, domain: string) =>
  // mailauth 4.13.3 signs only what `signatureData` lists (its types suggest the top-level fields would do), and
  // without `signTime` it reads the clock twice: a signature made across a second boundary does not verify.
  Effect.promise(() =>
    dkimSign(raw, { signingDomain: domain, selector: "s1", privateKey, signTime: new Date(), signatureData: [{ signingDomain: domain, selector: "s1", privateKey }] })
  ).pipe(
    Effect.map((result) => result.signatures + raw)
  )

export interface Delivery {
  readonly mailFrom: string | null
  readonly raw: string
  readonly connection?: Partial<Omit<Session.Connection, "notes">>
  /** Record an ARC result too (default true). */
  readonly arc?: boolean
}

/** MAIL FROM (the SPF plugin), DKIM verification of the message, then the `message` phase. */
export const deliver = (delivery: Delivery) =>
  Effect.gen(function*() {
    const pipeline = yield* Pipeline.Pipeline
    const txn = TestSession.transaction(TestSession.connection(delivery.connection), ["bob@example.test"], {
      mailFrom: delivery.mailFrom === null ? null : TestSession.address(delivery.mailFrom)
    })
    const mailFrom = yield* pipeline.mailFrom(txn)
    if (!Verdict.isSuccess(mailFrom)) return yield* Effect.die(new Error(`MAIL FROM refused: ${mailFrom.reply.lines.join(" ")}`))
    const resolver = yield* Resolver.fromContext
    const dkim = yield* Effect.promise(() => dkimVerify(delivery.raw, { resolver }))
    yield* Results.Dkim.set(txn, dkim)
    // What an ARC verifier records, as mailauth's authenticate() computes it.
    // (dkimVerify's `arc` is what arc() takes; the declarations disagree on `chain: false` for "no chain".)
    const chain = dkim.arc as unknown as Parameters<typeof arc>[0]
    if (delivery.arc !== false) yield* Results.Arc.set(txn, yield* Effect.promise(() => arc(chain, { resolver })))
    const verdict = yield* pipeline.message(txn, TestSession.message("", delivery.raw))
    const headers = Verdict.headersOf(verdict)
    const ar = headers.filter((h) => h.name === AuthenticationResults.name)
    return {
      verdict,
      txn,
      reply: verdict._tag === "Reject" || verdict._tag === "Defer" ? `${verdict.reply.code} ${verdict.reply.enhanced} ${verdict.reply.lines.join(" ")}` : verdict._tag,
      /** The value of the one Authentication-Results field, `undefined` when none (and a failure when several). */
      ar: ar.length > 1 ? "several!" : ar[0]?.value,
      quarantine: headers.find((h) => h.name === "X-Cartero-Quarantine")?.value,
      dmarc: Option.getOrUndefined(yield* Results.Dmarc.get(txn)),
      written: Option.getOrUndefined(yield* Results.Written.get(txn))
    }
  })

/** The result of `method` in an Authentication-Results value (`dmarc=fail` → `fail`). */
export const resultOf = (ar: string | undefined, method: string): ReadonlyArray<string> =>
  [...(ar ?? "").matchAll(new RegExp(`(?:^|; )${method}=([a-z]+)`, "g"))].map((m) => m[1] ?? "")
