import { describe, expect, it } from "vitest"
import { ContentType } from "../src/index.ts"

describe("ContentType", () => {
  it("parses type, subtype and parameters case-insensitively, with comments and quotes", () => {
    const ct = ContentType.parse('Text/Plain; Charset="utf-8" (a comment); format=flowed; name="a \\"b\\".txt"')
    expect(ct?.mediaType).toBe("text/plain")
    expect(ct?.params).toEqual({ charset: "utf-8", format: "flowed", name: 'a "b".txt' })
  })

  it("joins RFC 2231 continuations and decodes their charset", () => {
    const ct = ContentType.parse("application/x-stuff; title*0*=us-ascii'en'This%20is%20even%20more%20; title*1*=%2A%2A%2Afun%2A%2A%2A%20; title*2=\"isn't it!\"")
    expect(ct?.params["title"]).toBe("This is even more ***fun*** isn't it!")
    const cd = ContentType.parseDisposition("attachment; filename*=UTF-8''%E2%82%AC%20rates.pdf")
    expect(cd).toEqual({ type: "attachment", params: { filename: "€ rates.pdf" } })
    const iso = ContentType.parseDisposition("attachment; filename*0*=iso-8859-1''caf%E9; filename*1=.txt")
    expect(iso.params["filename"]).toBe("café.txt")
  })

  it("decodes RFC 2047 words in quoted parameters (non-standard but common)", () => {
    expect(ContentType.parseDisposition('attachment; filename="=?UTF-8?B?0KTQsNC50Lsu0YLQutGC?="').params["filename"]).toBe("Файл.ткт")
  })

  it("rejects values without a subtype", () => {
    expect(ContentType.parse("text; charset=us-ascii")).toBeUndefined()
    expect(ContentType.defaultFor().mediaType).toBe("text/plain")
    expect(ContentType.defaultFor("digest").mediaType).toBe("message/rfc822")
  })
})
