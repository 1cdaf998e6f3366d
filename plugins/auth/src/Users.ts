/**
 * The user list: one `user:hash` or `user:hash:alias1,alias2` per line, `#` comments and blank lines ignored.
 *
 * ```
 * # /var/lib/cartero/users
 * alice@example.test:scrypt$16384$8$1$…$…
 * bob@example.test:scrypt$16384$8$1$…$…:robert@example.test,sales@example.test
 * relay-bot:scrypt$16384$8$1$…$…:noreply@example.test
 * ```
 *
 * User names are full addresses or plain names (letters, digits, `._+-`). They are compared case-insensitively
 * as a whole: domains in their ASCII (A-label) form, lower case; local parts and plain names NFC-normalised and
 * lower-cased, the same folding as local recipients (docs/decisions/local-part-case.md), so the login `Alice@…`
 * and the mailbox `alice@…` are one person. Aliases are full addresses, folded the same way.
 *
 * Errors name the source and line and never repeat the hash (nor a line that could be a pasted password).
 *
 * @since 0.1.0
 */
import { Address } from "@cartero/smtp"
import { Data, Result } from "effect"
import * as PasswordHash from "./PasswordHash.ts"

/** A configuration problem: a malformed line, an unreadable file, a bad variable. Stops start-up. */
export class AuthConfigError extends Data.TaggedError("AuthConfigError")<{
  /** A file path, a variable name, or `users` for the in-code option. */
  readonly source: string
  /** 1-based line (file) or entry (list) number, when the problem is in one line. */
  readonly line: number | undefined
  readonly detail: string
}> {
  override get message(): string {
    return `${this.source}${this.line === undefined ? "" : `:${this.line}`}: ${this.detail}`
  }
}

/** One user. */
export interface User {
  /** The folded user name (see the module comment). */
  readonly name: string
  readonly hash: PasswordHash.Hash
  /** Folded addresses the user may send as: the name if it is an address, then the aliases. */
  readonly addresses: ReadonlySet<string>
  /** Where the user was defined, for duplicate errors. */
  readonly source: string
  readonly line: number
}

/** Users by folded name. */
export type UserDb = ReadonlyMap<string, User>

const plainName = /^[\p{L}\p{N}._+-]{1,64}$/u

/** Folds a mailbox: local part NFC + lower case, domain in ASCII form. */
export const foldAddress = (address: Address.Address): string =>
  `${address.localPart.normalize("NFC").toLowerCase()}@${Address.asciiDomain(address)}`

/** The folded form of a user name, or undefined when it is neither a mailbox nor a plain name. */
export const foldName = (name: string): string | undefined => {
  if (name.includes("@")) {
    const parsed = Address.parseMailbox(name, { smtpUtf8: true })
    return Result.isSuccess(parsed) ? foldAddress(parsed.success) : undefined
  }
  const folded = name.normalize("NFC").toLowerCase()
  return plainName.test(folded) ? folded : undefined
}

const foldAlias = (alias: string): string | undefined => {
  const parsed = Address.parseMailbox(alias, { smtpUtf8: true })
  return Result.isSuccess(parsed) ? foldAddress(parsed.success) : undefined
}

/** Parses one entry (already trimmed, not a comment). */
export const parseEntry = (entry: string, source: string, line: number): Result.Result<User, AuthConfigError> => {
  const fail = (detail: string) => Result.fail(new AuthConfigError({ source, line, detail }))
  const fields = entry.split(":")
  // Without a ':' the line may be a password or a hash pasted alone: say nothing about its content.
  if (fields.length < 2 || fields.length > 3) return fail("expected user:hash or user:hash:alias,alias")
  const [rawName = "", rawHash = "", rawAliases] = fields
  const name = foldName(rawName)
  if (name === undefined) return fail("the user name is neither an email address nor a plain name ([A-Za-z0-9._+-])")
  const hash = PasswordHash.parse(rawHash)
  if (Result.isFailure(hash)) return fail(hash.failure)
  const addresses = new Set<string>(name.includes("@") ? [name] : [])
  const aliases = rawAliases === undefined ? [] : rawAliases.split(",").map((a) => a.trim())
  for (const [i, alias] of aliases.entries()) {
    const folded = foldAlias(alias)
    if (folded === undefined) return fail(`alias ${i + 1} is not an email address`)
    addresses.add(folded)
  }
  return Result.succeed({ name, hash: hash.success, addresses, source, line })
}

/** Parses lines of the file syntax; `source` (the path) prefixes every error, line numbers are 1-based. */
export const parseLines = (
  lines: ReadonlyArray<string>,
  source: string
): Result.Result<ReadonlyArray<User>, AuthConfigError> => {
  const users: Array<User> = []
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim()
    if (line === "" || line.startsWith("#")) continue
    const user = parseEntry(line, source, i + 1)
    if (Result.isFailure(user)) return Result.fail(user.failure)
    users.push(user.success)
  }
  return Result.succeed(users)
}

/** Parses the text of a users file (LF or CRLF line ends, an optional BOM). */
export const parseFile = (text: string, source: string): Result.Result<ReadonlyArray<User>, AuthConfigError> =>
  parseLines(text.replace(/^\uFEFF/, "").split("\n"), source)

/**
 * Parses the inline form `user:hash,user2:hash:alias1,alias2` (a variable for containers). Entries are separated
 * by commas; an item without `:` cannot start an entry, so it continues the alias list of the entry before it.
 */
export const parseInline = (text: string, source: string): Result.Result<ReadonlyArray<User>, AuthConfigError> => {
  const entries: Array<string> = []
  for (const item of text.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
    const last = entries.length - 1
    if (item.includes(":") || last < 0) entries.push(item)
    else entries[last] = `${entries[last] ?? ""},${item}`
  }
  const users: Array<User> = []
  for (const [i, entry] of entries.entries()) {
    const user = parseEntry(entry, source, i + 1)
    if (Result.isFailure(user)) return Result.fail(user.failure)
    users.push(user.success)
  }
  return Result.succeed(users)
}

/** Builds the database; a user defined twice (in one source or across sources) is an error, not a silent override. */
export const make = (users: ReadonlyArray<User>): Result.Result<UserDb, AuthConfigError> => {
  const db = new Map<string, User>()
  for (const user of users) {
    const first = db.get(user.name)
    if (first !== undefined) {
      const detail = `user ${user.name} is already defined at ${first.source}:${first.line}`
      return Result.fail(new AuthConfigError({ source: user.source, line: user.line, detail }))
    }
    db.set(user.name, user)
  }
  return Result.succeed(db)
}
