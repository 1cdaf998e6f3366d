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

  it("an already clean chunk goes out as it is (a view, no copy), a trailing CR held back", () => {
    const clean = b("Subject: x\r\n\r\nbody. with dots.\r\nend\r\n")
    const st = DotStuffer.make()
    assert.strictEqual(st.push(clean), clean)
    const held = b("line\r\nnext\r")
    const out = DotStuffer.make().push(held)
    assert.strictEqual(out.buffer, held.buffer)
    assert.strictEqual(s(out), "line\r\nnext")
  })

  it("the clean-chunk shortcut gives the bytes of the octet-by-octet encoding (random messages and splits)", () => {
    // The encoding as specified, one octet at a time: the reference for the shortcut.
    const reference = (input: string): string => {
      let out = ""
      let lineStart = true
      let pendingCR = false
      for (const c of input) {
        if (pendingCR) {
          pendingCR = false
          out += "\r\n"
          lineStart = true
          if (c === "\n") continue
        }
        if (c === "\r") pendingCR = true
        else if (c === "\n") {
          out += "\r\n"
          lineStart = true
        } else {
          if (lineStart && c === ".") out += "."
          out += c
          lineStart = false
        }
      }
      if (pendingCR || !lineStart) out += "\r\n"
      return `${out}.\r\n`
    }
    let seed = 42
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648
      return seed % n
    }
    // Mostly well-formed CRLF lines (the shortcut's case), with now and then a dot line, a bare CR or LF.
    const pieces = ["abc\r\n", "x\r\n", "\r\n", "ab", ".", "\r", "\n", "d.e\r\n", "\r\n.\r\n"]
    for (let round = 0; round < 400; round++) {
      let input = ""
      const parts = 1 + random(12)
      for (let i = 0; i < parts; i++) input += random(4) === 0 ? (pieces[random(pieces.length)] ?? "") : (pieces[random(3)] ?? "")
      const cuts = [random(input.length + 1), random(input.length + 1)].sort((x, y) => x - y)
      assert.strictEqual(stuffSplit(input, cuts), reference(input), JSON.stringify({ input, cuts }))
    }
  })

  it("detects 8-bit content", () => {
    assert.isFalse(DotStuffer.hasEightBit(b("plain ascii\r\n")))
    assert.isTrue(DotStuffer.hasEightBit(Buffer.from("caf\u00e9\r\n", "utf8")))
  })
})
