import { describe, expect, it } from "vitest"
import { MailDate } from "../src/index.ts"

const iso = (v: string) => MailDate.parse(v)?.toISOString()

describe("MailDate", () => {
  it("parses RFC 5322 dates", () => {
    expect(iso("Fri, 21 Nov 1997 09:55:06 -0600")).toBe("1997-11-21T15:55:06.000Z")
    expect(iso("Thu, 13 Feb 1969 23:32:54 -0330")).toBe("1969-02-14T03:02:54.000Z")
  })

  it("parses obsolete forms", () => {
    expect(iso("21 Nov 97 09:55:06 GMT")).toBe("1997-11-21T09:55:06.000Z")
    expect(iso("Fri, 21 Nov 1997 09:55 EST")).toBe("1997-11-21T14:55:00.000Z")
    expect(iso("Fri, 21 Nov 1997 09(comment):   55  :  06 -0600")).toBe("1997-11-21T15:55:06.000Z")
    expect(iso("1 Jan 2001 00:01 +0000")).toBe("2001-01-01T00:01:00.000Z")
    expect(iso("Mon, 1 Jan 101 00:00:00 Z")).toBe("2001-01-01T00:00:00.000Z")
    expect(iso("Tue, 7 Apr 2026 10:00:01 +0000 (UTC)")).toBe("2026-04-07T10:00:01.000Z")
  })

  it("returns undefined for nonsense", () => {
    expect(MailDate.parse("not a date")).toBeUndefined()
  })

  it("formats RFC 5322 dates that parse back", () => {
    const d = new Date("2026-11-26T05:25:07Z")
    expect(MailDate.format(d)).toBe("Thu, 26 Nov 2026 05:25:07 +0000")
    expect(MailDate.parse(MailDate.format(d))?.getTime()).toBe(d.getTime())
  })
})
