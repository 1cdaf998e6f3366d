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

const tokenize = (s: string): Array<Token> => {
  const tokens: Array<Token> = []
  let i = 0
  while (i < s.length) {
    const c = s[i] ?? ""
    if (c === " " || c === "\t" || c === "\r" || c === "\n") {
      i++
    } else if (c === '"') {
      let text = ""
      i++
      while (i < s.length && s[i] !== '"') {
        if (s[i] === "\\" && i + 1 < s.length) i++
        text += s[i] ?? ""
        i++
      }
      i++
      tokens.push({ kind: "word", text, quoted: true })
    } else if (c === "(") {
      let depth = 1
      let text = ""
      i++
      while (i < s.length && depth > 0) {
        const d = s[i] ?? ""
        if (d === "\\" && i + 1 < s.length) {
          text += s[i + 1] ?? ""
          i += 2
          continue
        }
        if (d === "(") depth++
        else if (d === ")") depth--
        if (depth > 0) text += d
        i++
      }
      tokens.push({ kind: "comment", text: text.trim() })
    } else if (c === "<" || c === ">" || c === "," || c === ";" || c === ":") {
      tokens.push({ kind: "special", text: c })
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

const decodeName = (s: string): string => EncodedWord.decode(s).replace(/\s+/g, " ").trim()

const phraseText = (words: ReadonlyArray<Token>): string => {
  let out = ""
  for (const w of words) out += (out === "" ? "" : " ") + w.text
  return out
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
