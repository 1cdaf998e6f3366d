/**
 * What the fuzzer sends: arbitrary bytes, and (mostly) SMTP sessions that are almost right, the inputs that reach
 * deep into a parser: real commands with mutated arguments, addresses with quoted local parts, `Postmaster`, IDNs
 * and address literals, ESMTP parameters, AUTH exchanges, DATA with bare CR/LF and dot lines, over-long lines,
 * control and non-ASCII octets, any line ending, then random byte flips, cut into random pieces (pipelined
 * writes). fast-check arbitraries, so a failure shrinks to a small input and replays from its seed.
 *
 * @since 0.1.0
 */
import fc from "fast-check"

/** Payloads stay below this many octets (a few KiB: beyond, only smtp-server's line limit is exercised). */
export const maxPayload = 6 * 1024

const latin1 = (s: string): Uint8Array => Buffer.from(s, "latin1")
const utf8 = (s: string): Uint8Array => Buffer.from(s, "utf8")

const word = fc.string({ unit: fc.constantFrom(..."abcxyz019-._+"), minLength: 1, maxLength: 12 })
const nasty = fc.string({
  unit: fc.constantFrom(..."<>\"\\@:;,.[] ()=+\t\u0000\u0001\u007f\u00e9\u200b\u4e2d\r\n%*"),
  maxLength: 24
})
const domain = fc.oneof(
  fc.array(word, { minLength: 1, maxLength: 3 }).map((l) => `${l.join(".")}.test`),
  fc.constantFrom("example.test", "localhost", "mx.test", "b\u00fccher.test", "xn--bcher-kva.test"),
  fc.ipV4().map((ip) => `[${ip}]`),
  fc.ipV6().map((ip) => `[IPv6:${ip}]`),
  nasty
)
const localPart = fc.oneof(
  word,
  fc.constantFrom("postmaster", "Postmaster", "bob", "alice", "j\u00f6rg", "user+tag"),
  word.map((w) => `"${w} ${w}"`),
  nasty.map((n) => `"${n}"`),
  nasty
)
const path = fc.oneof(
  fc.tuple(localPart, domain).map(([l, d]) => `<${l}@${d}>`),
  fc.constantFrom("<>", "<Postmaster>", "<postmaster>", "<@relay.test:bob@example.test>", "bob@example.test", "<"),
  nasty.map((n) => `<${n}>`)
)
const parameter = fc.oneof(
  fc.constantFrom("SIZE=100", "SIZE=99999999999", "SIZE=x", "BODY=8BITMIME", "BODY=BINARYMIME", "SMTPUTF8", "SMTPUTF8=1"),
  fc.constantFrom("RET=FULL", "ENVID=x", "NOTIFY=NEVER", "ORCPT=rfc822;a@b", "AUTH=<>", "REQUIRETLS", "SIZE=1 SIZE=2"),
  fc.tuple(word, word).map(([k, v]) => `${k.toUpperCase()}=${v}`),
  nasty.map((k) => `${k}=1 ${k}=2`),
  nasty
)
const params = fc.array(parameter, { maxLength: 3 }).map((p) => (p.length === 0 ? "" : ` ${p.join(" ")}`))
const base64 = fc.string({ unit: fc.constantFrom(..."AZaz09+/="), maxLength: 40 })
const plain = fc.tuple(word, word).map(([u, p]) => Buffer.from(`\u0000${u}\u0000${p}`).toString("base64"))

const command = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(path, params).map(([p, x]) => `MAIL FROM:${p}${x}`) },
  { weight: 5, arbitrary: fc.tuple(path, params).map(([p, x]) => `RCPT TO:${p}${x}`) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom("EHLO", "HELO", "ehlo", "LHLO"), fc.oneof(word, domain, fc.constant(""))).map(([v, d]) => `${v} ${d}`) },
  { weight: 2, arbitrary: fc.constantFrom("DATA", "RSET", "NOOP", "VRFY bob", "VRFY", "HELP", "EXPN x", "ETRN x", "TURN", "STARTTLS", "BDAT 10 LAST", "XCLIENT ADDR=1.2.3.4", "XFORWARD NAME=x", "WIZ x", "QUIT") },
  { weight: 2, arbitrary: fc.oneof(plain.map((p) => `AUTH PLAIN ${p}`), fc.constantFrom("AUTH LOGIN", "AUTH PLAIN", "AUTH CRAM-MD5", "AUTH XOAUTH2 x", "*"), base64) },
  { weight: 2, arbitrary: fc.oneof(fc.constantFrom(".", "..", ". ", "Subject: x", "", " folded"), nasty, word) },
  { weight: 1, arbitrary: fc.integer({ min: 500, max: 3000 }).map((n) => "A".repeat(n)) },
  { weight: 1, arbitrary: fc.constantFrom("GET / HTTP/1.1", "POST /x HTTP/1.0", "\u00ff\u00fe\u0000") }
)
const ending = fc.oneof(
  { weight: 12, arbitrary: fc.constant("\r\n") },
  { weight: 1, arbitrary: fc.constantFrom("\n", "\r", "", "\r\r\n", "\n.\n") }
)

/** A near-valid session: a greeting, then commands with their line endings. */
const session = fc.tuple(
  fc.constantFrom("EHLO fuzz.test\r\n", "HELO fuzz.test\r\n", ""),
  fc.array(fc.tuple(command, ending), { minLength: 1, maxLength: 40 })
).map(([hello, lines]) => Buffer.concat([latin1(hello), ...lines.map(([c, e]) => utf8(c + e))]))

/** Random octets, some of them line endings. */
const bytes = fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.from(b))

/** Flips, inserts or deletes a few octets. */
const mutate = (payload: Buffer) =>
  fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom("flip", "insert", "delete")), { maxLength: 6 })
    .map((edits) => {
      let out = payload
      for (const [at, byte, edit] of edits) {
        if (out.length === 0) break
        const i = at % out.length
        if (edit === "flip") out = Buffer.concat([out.subarray(0, i), Buffer.from([byte]), out.subarray(i + 1)])
        else if (edit === "insert") out = Buffer.concat([out.subarray(0, i), Buffer.from([byte]), out.subarray(i)])
        else out = Buffer.concat([out.subarray(0, i), out.subarray(i + 1)])
      }
      return out
    })

/** Cuts a payload into pieces, each its own write. */
const cut = (payload: Buffer) =>
  fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, payload.length - 1) }), { maxLength: 4 })
    .map((points) => {
      const sorted = [...points].filter((p) => p < payload.length).sort((a, b) => a - b)
      const pieces: Array<Uint8Array> = []
      let from = 0
      for (const p of sorted) {
        pieces.push(payload.subarray(from, p))
        from = p
      }
      pieces.push(payload.subarray(from))
      return pieces
    })

/** A payload as the pieces it is written in. */
export const payload: fc.Arbitrary<ReadonlyArray<Uint8Array>> = fc.oneof(
  { weight: 6, arbitrary: session },
  { weight: 3, arbitrary: session.chain(mutate) },
  { weight: 1, arbitrary: bytes }
).map((b) => b.subarray(0, maxPayload)).chain(cut)

/** A payload as printable text, for a failure report. */
export const show = (pieces: ReadonlyArray<Uint8Array>): string =>
  JSON.stringify(pieces.map((p) => Buffer.from(p).toString("latin1")))
