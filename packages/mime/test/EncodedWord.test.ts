import { describe, expect, it } from "vitest"
import { Charset, EncodedWord } from "../src/index.ts"

describe("EncodedWord", () => {
  it("decodes B and Q words in any charset TextDecoder knows", () => {
    expect(EncodedWord.decode("=?ISO-8859-1?Q?Andr=E9?= Pirard")).toBe("André Pirard")
    expect(EncodedWord.decode("=?utf-8?q?caf=c3=a9_au_lait?=")).toBe("café au lait")
    expect(EncodedWord.decode("=?KOI8-R?B?8NLJ18XU?=")).toBe("Привет")
    expect(EncodedWord.decode("=?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=")).toBe("テスト")
    expect(EncodedWord.decode("=?UTF-8*en?Q?hi?=")).toBe("hi")
  })

  it("drops whitespace between adjacent words and joins a character split across them", () => {
    expect(EncodedWord.decode("=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=")).toBe("ab")
    expect(EncodedWord.decode("=?ISO-8859-1?Q?a?=  b")).toBe("a  b")
    // "€" is E2 82 AC, split over two words.
    expect(EncodedWord.decode("=?UTF-8?Q?=E2=82?= =?UTF-8?Q?=AC?=")).toBe("€")
  })

  it("falls back for unknown charsets instead of failing", () => {
    expect(EncodedWord.decode("=?x-unknown?Q?caf=C3=A9?=")).toBe("café")
    expect(Charset.decode(Buffer.from([0x63, 0x61, 0x66, 0xe9]), "x-unknown")).toEqual({ text: "café", known: false })
  })

  it("leaves malformed words alone", () => {
    expect(EncodedWord.decode("=?utf-8?X?abc?=")).toBe("=?utf-8?X?abc?=")
    expect(EncodedWord.decode("plain text")).toBe("plain text")
  })

  it("encodes words of at most 75 characters that decode back", () => {
    const text = "Ünïcödé ".repeat(20) + "日本語のテキスト"
    const encoded = EncodedWord.encode(text)
    for (const w of encoded.split(" ")) if (w.startsWith("=?")) expect(w.length).toBeLessThanOrEqual(75)
    expect(EncodedWord.decode(encoded)).toBe(text)
    expect(EncodedWord.encode("plain ascii")).toBe("plain ascii")
  })
})
