import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import * as Search from "../src/Search.ts"

const summary = { from: "Alice <alice@example.com>", to: ["Bob <bob@localhost>"], subject: "Quarterly Report", date: new Date("2026-12-05T10:00:00Z"), attachments: 0, snippet: "" }
const matches = (q: string) => Effect.map(Search.parse(q), (terms) => Search.matches(terms, summary))

describe("Search", () => {
  it.effect("words and field terms, case-insensitive; dates by UTC day", () =>
    Effect.gen(function*() {
      for (const q of ["", "  ", "report", "ALICE", "bob@", "from:alice", "to:bob", "subject:quarterly", "subject:\"quarterly report\"", "after:2026-12-05", "before:2026-12-06", "alice report after:2026-12-01"]) {
        assert.isTrue(yield* matches(q), q)
      }
      for (const q of ["carol", "from:bob", "to:alice", "subject:alice", "after:2026-12-06", "before:2026-12-05", "alice carol"]) {
        assert.isFalse(yield* matches(q), q)
      }
    }))

  it.effect("bad dates and oversized searches are refused", () =>
    Effect.gen(function*() {
      for (const q of ["before:tomorrow", "after:2026-13-01", "after:2026-02-30", "x".repeat(1001), Array.from({ length: 21 }, (_, i) => `w${i}`).join(" ")]) {
        const exit = yield* Effect.exit(Search.parse(q))
        assert.isTrue(Exit.isFailure(exit), q.slice(0, 30))
      }
    }))
})
