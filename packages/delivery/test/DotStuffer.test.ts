import { assert, describe, it } from "@effect/vitest"
import * as DotStuffer from "../src/DotStuffer.ts"

const b = (s: string) => Buffer.from(s, "latin1")
const s = (u: Uint8Array) => Buffer.from(u).toString("latin1")

/** Encodes `input` split at the given offsets. */
const stuffSplit = (input: string, cuts: ReadonlyArray<number>): string => {
  const st = DotStuffer.make()
  const parts: Array<Uint8Array> = []
  let prev = 0
  for (const c of [...cuts, input.length]) {
    parts.push(st.push(b(input.slice(prev, c))))
    prev = c
  }
  parts.push(st.end())
  return s(Buffer.concat(parts))
}

describe("DotStuffer", () => {
  it("doubles a leading dot on every line, including the very first, and terminates with .CRLF", () => {
    assert.strictEqual(s(DotStuffer.stuff(b(".a\r\nb\r\n.\r\n..\r\nc.d\r\n"))), "..a\r\nb\r\n..\r\n...\r\nc.d\r\n.\r\n")
  })

  it("adds the missing final CRLF, and encodes an empty message as just .CRLF", () => {
    assert.strictEqual(s(DotStuffer.stuff(b("no newline"))), "no newline\r\n.\r\n")
    assert.strictEqual(s(DotStuffer.stuff(b(""))), ".\r\n")
    assert.strictEqual(s(DotStuffer.stuff(b("."))), "..\r\n.\r\n")
  })

  it("never emits a bare LF or bare CR (smuggling: \\n.\\n, \\r\\n.\\n, \\r.\\r)", () => {
    const out = s(DotStuffer.stuff(b("a\n.\nb\r\n.\nc\r.\rd\n")))
    assert.strictEqual(out, "a\r\n..\r\nb\r\n..\r\nc\r\n..\r\nd\r\n.\r\n")
    assert.notMatch(out, /[^\r]\n|\r[^\n]/)
  })

  it("gives the same bytes whatever the chunk boundaries (every split, pairs of splits)", () => {
    const input = ".x\r\n.\r\n\r\n..y\r\nz\r\n."
    const expected = stuffSplit(input, [])
    for (let i = 0; i <= input.length; i++) {
      assert.strictEqual(stuffSplit(input, [i]), expected, `split at ${i}`)
      for (let j = i; j <= input.length; j++) assert.strictEqual(stuffSplit(input, [i, j]), expected, `split at ${i},${j}`)
    }
    // a CR at the end of one chunk and its LF at the start of the next stay one CRLF
    assert.strictEqual(stuffSplit("a\r\n.b", [2]), "a\r\n..b\r\n.\r\n")
  })

  it("round-trips through unstuff for CRLF messages", () => {
    const msg = "Subject: x\r\n\r\n.\r\n..\r\n.hidden\r\nend\r\n"
    assert.strictEqual(s(DotStuffer.unstuff(DotStuffer.stuff(b(msg)))), msg)
  })

  it("detects 8-bit content", () => {
    assert.isFalse(DotStuffer.hasEightBit(b("plain ascii\r\n")))
    assert.isTrue(DotStuffer.hasEightBit(Buffer.from("caf\u00e9\r\n", "utf8")))
  })
})
