/**
 * Address lists in From/To/Cc/Reply-To/Sender (RFC 5322 §3.4): mailboxes, groups, quoted names, comments, the
 * obsolete syntax of §4.4 (route addresses, unquoted dots in names, empty list elements), RFC 2047 encoded names
 * and RFC 6532 UTF-8. Parsing is forgiving: whatever cannot be understood becomes a name without an address
 * rather than an error, since a header we cannot parse must not stop the delivery of a message.
 *
 * @since 0.1.0
 */
import * as EncodedWord from "./EncodedWord.ts"

/** A single mailbox: a display name (possibly empty) and an address (possibly empty when unparseable). */
export interface Mailbox {
  readonly _tag: "Mailbox"
  readonly name: string
  readonly address: string
}

/** A named group of mailboxes (`Team: a@x, b@y;`), which may be empty (`undisclosed-recipients:;`). */
export interface Group {
  readonly _tag: "Group"
  readonly name: string
  readonly mailboxes: ReadonlyArray<Mailbox>
}

export type Address = Mailbox | Group

type Token =
  | { readonly kind: "word"; readonly text: string; readonly quoted: boolean }
  | { readonly kind: "comment"; readonly text: string }
  | { readonly kind: "special"; readonly text: string }

/** One token per special character, shared: a value of a million `<` makes no million objects. */
const specials: Readonly<Record<string, Token>> = Object.fromEntries(["<", ">", ",", ";", ":"].map((c) => [c, Object.freeze({ kind: "special", text: c })]))

/**
 * `s[start, end)` with each backslash-escaped character taken literally; a backslash that ends the span (which only
 * happens at the end of the value) is kept. Written into one buffer, not appended a character at a time: a long
 * quoted string of escapes would otherwise build a rope of a million pieces.
 */
const unescape = (s: string, start: number, end: number): string => {
  // Looked for within the span only: `indexOf` would search on to the end of the value, for every token.
  let first = start
  while (first < end && s.charCodeAt(first) !== 92) first++
  if (first === end) return s.slice(start, end)
  const utf16 = Buffer.allocUnsafe((end - start) * 2)
  let n = 0
  for (let i = start; i < end; i++) {
    let c = s.charCodeAt(i)
    if (c === 92 && i + 1 < end) c = s.charCodeAt(++i)
    utf16[n++] = c & 0xff
    utf16[n++] = c >>> 8
  }
  return utf16.toString("utf16le", 0, n)
}

/**
 * Splits a value into words, quoted strings, comments and specials, in one pass: a quoted string or comment is
 * scanned to its end first, then its text is taken in one piece.
 */
const tokenize = (s: string): Array<Token> => {
  const tokens: Array<Token> = []
  let i = 0
  while (i < s.length) {
    const c = s[i] ?? ""
    if (c === " " || c === "\t" || c === "\r" || c === "\n") {
      i++
    } else if (c === '"') {
      const start = ++i
      while (i < s.length && s[i] !== '"') i += s[i] === "\\" && i + 1 < s.length ? 2 : 1
      tokens.push({ kind: "word", text: unescape(s, start, i), quoted: true })
      i++
    } else if (c === "(") {
      let depth = 1
      const start = ++i
      while (i < s.length && depth > 0) {
        const d = s[i] ?? ""
        if (d === "\\" && i + 1 < s.length) {
          i += 2
          continue
        }
        if (d === "(") depth++
        else if (d === ")") depth--
        i++
      }
      // The closing parenthesis, when there is one, is not part of the text.
      tokens.push({ kind: "comment", text: unescape(s, start, depth === 0 ? i - 1 : i).trim() })
    } else if (c === "<" || c === ">" || c === "," || c === ";" || c === ":") {
      tokens.push(specials[c] ?? { kind: "special", text: c })
      i++
    } else {
      let j = i
      if (c === "[") {
        while (j < s.length && s[j] !== "]") j++
        j++
      } else {
        while (j < s.length && !' \t\r\n"(<>,;:'.includes(s[j] ?? "")) j++
      }
      tokens.push({ kind: "word", text: s.slice(i, j), quoted: false })
      i = j
    }
  }
  return tokens
}

/**
 * A display name: encoded words decoded, whitespace runs made one space. The replacement runs only when some
 * whitespace is not already a single space: a regex replacement per word of a long phrase is the slow part.
 */
const decodeName = (s: string): string => {
  const decoded = EncodedWord.decode(s)
  return (/\s\s|[^\S ]/.test(decoded) ? decoded.replace(/\s+/g, " ") : decoded).trim()
}

/** The words' text joined by single spaces; empty words before the first non-empty one add no separator. */
const phraseText = (words: ReadonlyArray<Token>): string => {
  const texts: Array<string> = []
  for (const w of words) if (w.text !== "" || texts.length > 0) texts.push(w.text)
  return texts.join(" ")
}

const mailboxOf = (phrase: Array<Token>, angle: Array<Token> | undefined, comments: Array<string>): Mailbox | Array<Mailbox> | undefined => {
  if (angle !== undefined) {
    let address = angle.map((t) => t.text).join("")
    // Obsolete route (`<@relay1,@relay2:user@host>`): only the final address matters.
    const colon = address.lastIndexOf(":")
    if (colon >= 0 && address.startsWith("@")) address = address.slice(colon + 1)
    const name = decodeName(phraseText(phrase)) || decodeName(comments.join(" "))
    return { _tag: "Mailbox", name, address }
  }
  if (phrase.length === 0) return undefined
  const joined = phrase.map((t) => t.text).join("")
  if (phrase.length > 1 && phrase.every((t) => t.kind === "word" && !t.quoted && t.text.includes("@") && !t.text.startsWith("@"))) {
    // `a@x b@y`: a list that lost its commas.
    return phrase.map((t) => ({ _tag: "Mailbox", name: "", address: t.text }))
  }
  const last = phrase[phrase.length - 1]
  if (
    phrase.length > 1 && last !== undefined && last.kind === "word" && !last.quoted && last.text.includes("@") &&
    !last.text.startsWith("@") && !last.text.startsWith(".") && !phraseText(phrase.slice(0, -1)).endsWith(".")
  ) {
    // `Name addr@host` without angle brackets: broken but common; read it the way the sender meant.
    return { _tag: "Mailbox", name: decodeName(phraseText(phrase.slice(0, -1))), address: last.text }
  }
  if (joined.includes("@")) return { _tag: "Mailbox", name: decodeName(comments.join(" ")), address: joined }
  return { _tag: "Mailbox", name: decodeName(phraseText(phrase)), address: "" }
}

/** Parses an address-list or mailbox-list header value. */
export const parseList = (value: string): Array<Address> => {
  const out: Array<Address> = []
  const tokens = tokenize(value)
  let phrase: Array<Token> = []
  let angle: Array<Token> | undefined
  let comments: Array<string> = []
  let group: { name: string; mailboxes: Array<Mailbox> } | undefined
  let inAngle = false
  const finish = () => {
    const found = mailboxOf(phrase, angle, comments)
    for (const mailbox of found === undefined ? [] : Array.isArray(found) ? found : [found]) {
      if (group !== undefined) group.mailboxes.push(mailbox)
      else out.push(mailbox)
    }
    phrase = []
    angle = undefined
    comments = []
  }
  for (const t of tokens) {
    if (inAngle) {
      if (t.kind === "special" && t.text === ">") inAngle = false
      else if (t.kind !== "comment") angle?.push(t)
      continue
    }
    if (t.kind === "comment") comments.push(t.text)
    else if (t.kind === "word") {
      if (angle !== undefined) {
        // Text after `<addr>` without a comma: obsolete or broken; start a new mailbox.
        finish()
      }
      phrase.push(t)
    } else if (t.text === "<") {
      if (angle !== undefined) finish()
      inAngle = true
      angle = []
    } else if (t.text === ",") finish()
    else if (t.text === ":" && group === undefined && angle === undefined) {
      group = { name: decodeName(phraseText(phrase)), mailboxes: [] }
      phrase = []
      comments = []
    } else if (t.text === ";" && group !== undefined) {
      finish()
      out.push({ _tag: "Group", name: group.name, mailboxes: group.mailboxes })
      group = undefined
    } else if (t.text === ":") phrase.push({ kind: "word", text: ":", quoted: false })
  }
  finish()
  if (group !== undefined) out.push({ _tag: "Group", name: group.name, mailboxes: group.mailboxes })
  return out
}

/** All mailboxes of a list, with groups flattened. */
export const mailboxes = (list: ReadonlyArray<Address>): Array<Mailbox> =>
  list.flatMap((a) => (a._tag === "Mailbox" ? [a] : a.mailboxes))

// RFC 6532 §3.2 extends atext with every non-ASCII character.
const atext = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ .\u0080-\u{10ffff}]*$/u

/**
 * Renders a mailbox for a header: the name is left bare when it is plain atoms, quoted when it has specials, and
 * RFC 2047 encoded when it is not ASCII (unless `utf8` is allowed).
 */
export const formatMailbox = (mailbox: { readonly name?: string; readonly address: string }, options?: { readonly utf8?: boolean }): string => {
  const name = (mailbox.name ?? "").replace(/[\r\n\u0000]+/g, " ").trim()
  if (name === "") return `<${mailbox.address}>`
  if (options?.utf8 !== true && EncodedWord.needsEncoding(name)) return `${EncodedWord.encodeWords(name)} <${mailbox.address}>`
  const shown = atext.test(name) && !/^\.|\.\.|\.$/.test(name) ? name : `"${name.replace(/(["\\])/g, "\\$1")}"`
  return `${shown} <${mailbox.address}>`
}

/** Renders a list of mailboxes separated by commas (folding is left to the header renderer). */
export const format = (list: ReadonlyArray<{ readonly name?: string; readonly address: string }>, options?: { readonly utf8?: boolean }): string =>
  list.map((m) => formatMailbox(m, options)).join(", ")
