import { describe, expect, it } from "vitest"
import { AddressList } from "../src/index.ts"

const boxes = (v: string) => AddressList.mailboxes(AddressList.parseList(v)).map((m) => [m.name, m.address])

describe("AddressList", () => {
  it("parses names, quoted names and bare addresses", () => {
    expect(boxes('"Doe, John" <john@example.com>, jane@example.com, Mary Smith <mary@x.test>')).toEqual([
      ["Doe, John", "john@example.com"],
      ["", "jane@example.com"],
      ["Mary Smith", "mary@x.test"]
    ])
  })

  it("parses groups, including empty ones", () => {
    const list = AddressList.parseList("A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;, undisclosed-recipients:;")
    expect(list[0]).toEqual({
      _tag: "Group",
      name: "A Group",
      mailboxes: [
        { _tag: "Mailbox", name: "Ed Jones", address: "c@a.test" },
        { _tag: "Mailbox", name: "", address: "joe@where.test" },
        { _tag: "Mailbox", name: "John", address: "jdoe@one.test" }
      ]
    })
    expect(list[1]).toEqual({ _tag: "Group", name: "undisclosed-recipients", mailboxes: [] })
  })

  it("uses a comment as the name when there is none, and ignores comments elsewhere", () => {
    expect(boxes("john.doe@example.com (John Doe)")).toEqual([["John Doe", "john.doe@example.com"]])
    expect(boxes("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>")).toEqual([["Pete", "pete@silly.test"]])
  })

  it("accepts obsolete syntax: routes, dotted names, spaced domains, empty elements", () => {
    expect(boxes("<@route1,@route2:user@host.test>")).toEqual([["", "user@host.test"]])
    expect(boxes("John Q. Public <jqp@example.test>")).toEqual([["John Q. Public", "jqp@example.test"]])
    expect(boxes("jdoe@test   . example")).toEqual([["", "jdoe@test.example"]])
    expect(boxes(", , a@b.test,,")).toEqual([["", "a@b.test"]])
  })

  it("decodes RFC 2047 names and keeps RFC 6532 UTF-8", () => {
    expect(boxes("=?UTF-8?Q?Andr=C3=A9?= <andre@example.test>, Jörg <jörg@bücher.example>")).toEqual([
      ["André", "andre@example.test"],
      ["Jörg", "jörg@bücher.example"]
    ])
  })

  it("never throws on garbage", () => {
    for (const v of ["<<<", '"unterminated', "(((", "a:b:c;;;", "@", ""]) expect(() => AddressList.parseList(v)).not.toThrow()
  })

  it("formats mailboxes, quoting or encoding names as needed", () => {
    expect(AddressList.formatMailbox({ name: "Doe, John", address: "j@x.test" })).toBe('"Doe, John" <j@x.test>')
    expect(AddressList.formatMailbox({ name: "Plain Name", address: "p@x.test" })).toBe("Plain Name <p@x.test>")
    expect(AddressList.formatMailbox({ name: "José", address: "j@x.test" })).toBe("=?UTF-8?Q?Jos=C3=A9?= <j@x.test>")
    expect(AddressList.formatMailbox({ name: "José", address: "j@x.test" }, { utf8: true })).toBe("José <j@x.test>")
    expect(AddressList.formatMailbox({ address: "a@b.test" })).toBe("<a@b.test>")
  })
})
