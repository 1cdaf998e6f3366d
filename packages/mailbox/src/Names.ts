/**
 * From what the API shows to what is on disk, and back, refusing anything that could leave the Maildir root:
 *
 * - a mailbox address `local@domain` maps to `<root>/<domain>/<local>/Maildir` with the maildir plugin's own
 *   escaping (`Mailbox.segment`), which never yields `/`, `.`, `..` or an empty name;
 * - a message id is the base64url of the file's Maildir unique name (the name without its `:2,<flags>` info), so
 *   it is URL-safe whatever the writer put in the name; a decoded id with `/`, a NUL, a leading `.` or a `:` is
 *   refused.
 *
 * @since 0.1.0
 */
import { Mailbox } from "@cartero/plugin-maildir"
import * as Path from "node:path"
import * as Url from "node:url"

/** The longest address or unique name accepted (longer input names nothing that exists). */
export const MAX_NAME_LENGTH = 1024

/** The directory of `address`'s Maildir under `root`, or `undefined` when the text is no address. */
export const mailboxDir = (root: string, address: string): string | undefined => {
  if (address.length > MAX_NAME_LENGTH) return undefined
  const at = address.lastIndexOf("@")
  if (at < 0) return undefined
  const written = address.slice(at + 1)
  // Letters, digits, dots and hyphens only: `domainToASCII` would otherwise read `a/../b` as a URL host.
  // An address literal (`[192.0.2.1]`, `[IPv6:…]`) is kept as written.
  const literal = /^\[[0-9A-Za-z.:-]+\]$/.test(written)
  if (!literal && !/^[\p{L}\p{N}.-]+$/u.test(written)) return undefined
  const domain = (literal ? written : Url.domainToASCII(written)).toLowerCase()
  if (domain === "") return undefined
  return Path.join(root, Mailbox.segment(domain), Mailbox.segment(Mailbox.foldLocalPart(address.slice(0, at))), "Maildir")
}

/** The address a `<domain>/<local>` pair of directory names stands for, or `undefined` for foreign names. */
export const addressOf = (domainDir: string, localDir: string): string | undefined => {
  const domain = Mailbox.unsegment(domainDir)
  const local = Mailbox.unsegment(localDir)
  return domain === undefined || local === undefined || domain === "" ? undefined : `${local}@${domain}`
}

/** The unique name of a file name in new/ or cur/ (the part before `:`). */
export const uniqueOf = (file: string): string => {
  const colon = file.indexOf(":")
  return colon < 0 ? file : file.slice(0, colon)
}

/** The flags of a file name in cur/ (`:2,<flags>`), empty when it has none. */
export const flagsOf = (file: string): string => {
  const info = file.indexOf(":2,")
  return info < 0 ? "" : file.slice(info + 3)
}

/** A file name that is a message (not a dot file, not a temporary of another tool). */
export const isMessageFile = (file: string): boolean => file !== "" && !file.startsWith(".")

/** The id of a unique name. */
export const idOf = (unique: string): string => Buffer.from(unique, "utf8").toString("base64url")

/** The unique name an id stands for, or `undefined` when it cannot be one. */
export const uniqueOfId = (id: string): string | undefined => {
  if (id.length === 0 || id.length > MAX_NAME_LENGTH || !/^[A-Za-z0-9_-]+$/.test(id)) return undefined
  const unique = Buffer.from(id, "base64url").toString("utf8")
  if (idOf(unique) !== id) return undefined
  return unique === "" || unique.startsWith(".") || /[/:\u0000]/.test(unique) ? undefined : unique
}

/** Seconds since the epoch when the message arrived, from the unique name's leading `<seconds>.`; `undefined` if none. */
export const arrivalSeconds = (unique: string): number | undefined => {
  const match = /^(\d{1,12})\./.exec(unique)
  return match?.[1] === undefined ? undefined : Number(match[1])
}
