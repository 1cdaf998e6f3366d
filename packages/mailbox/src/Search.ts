/**
 * The search of a message listing: words match the subject, the sender or a recipient (substring, case-insensitive);
 * `from:x`, `to:x`, `subject:x` restrict a word to one field; `before:YYYY-MM-DD` and `after:YYYY-MM-DD` bound the
 * message date (UTC days: `before:D` is earlier than day D, `after:D` is day D or later).
 * `"quoted words"` are one term. Every term must match.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type * as Content from "./Content.ts"
import { InvalidSearch } from "./MailboxError.ts"

/** One term. */
export type Term =
  | { readonly _tag: "Any" | "From" | "To" | "Subject"; readonly text: string }
  | { readonly _tag: "Before" | "After"; readonly time: number }

/** The longest search accepted, and the most terms. */
export const MAX_LENGTH = 1000
export const MAX_TERMS = 20

const day = /^(\d{4})-(\d{2})-(\d{2})$/

const dayStart = (text: string): number | undefined => {
  const m = day.exec(text)
  if (m === null) return undefined
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
  return new Date(t).toISOString().slice(0, 10) === text ? t : undefined
}

/** Parses a search; an empty or blank one has no terms (everything matches). */
export const parse = (search: string): Effect.Effect<ReadonlyArray<Term>, InvalidSearch> =>
  Effect.gen(function*() {
    if (search.length > MAX_LENGTH) return yield* new InvalidSearch({ parameter: "search", message: `the search is longer than ${MAX_LENGTH} characters` })
    const words = search.match(/(?:[a-z]+:)?"[^"]*"|\S+/gi) ?? []
    if (words.length > MAX_TERMS) return yield* new InvalidSearch({ parameter: "search", message: `the search has more than ${MAX_TERMS} terms` })
    const terms: Array<Term> = []
    for (const word of words) {
      const m = /^(from|to|subject|before|after):(.*)$/i.exec(word)
      const field = m?.[1]?.toLowerCase()
      const value = (m?.[2] ?? word).replace(/^"|"$/g, "")
      if (field === "before" || field === "after") {
        const start = dayStart(value)
        if (start === undefined) return yield* new InvalidSearch({ parameter: "search", message: `${field}: wants a day as YYYY-MM-DD, not "${value}"` })
        terms.push({ _tag: field === "before" ? "Before" : "After", time: start })
      } else if (value !== "") {
        const tag = field === "from" ? "From" : field === "to" ? "To" : field === "subject" ? "Subject" : "Any"
        terms.push({ _tag: tag, text: value.toLowerCase() })
      }
    }
    return terms
  })

/** Whether a summary matches every term. */
export const matches = (terms: ReadonlyArray<Term>, s: Content.Summary): boolean =>
  terms.every((term) => {
    switch (term._tag) {
      case "Before":
        return s.date.getTime() < term.time
      case "After":
        return s.date.getTime() >= term.time
      case "From":
        return s.from.toLowerCase().includes(term.text)
      case "To":
        return s.to.some((t) => t.toLowerCase().includes(term.text))
      case "Subject":
        return s.subject.toLowerCase().includes(term.text)
      case "Any":
        return s.subject.toLowerCase().includes(term.text) || s.from.toLowerCase().includes(term.text) ||
          s.to.some((t) => t.toLowerCase().includes(term.text))
    }
  })
