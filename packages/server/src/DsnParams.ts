/**
 * The DSN parameters of MAIL FROM (`RET`, `ENVID`) and RCPT TO (`NOTIFY`, `ORCPT`), RFC 3461 §4, read from the
 * command line as the client wrote it.
 *
 * smtp-server parses these parameters too, but decodes xtext loosely (only `+XX` with upper-case digits, anything
 * else passes) and words its errors its own way; so the raw line is checked here first (`CommandPatch` answers a
 * malformed parameter with `501 5.5.4` and a text naming it) and the handlers take the values from here.
 *
 * Values are stored decoded (the envelope holds what the sender meant, e.g. `ENVID=QQ+2B1` is `QQ+1`), and encoded
 * again when passed on to a next hop (`@cartero/delivery` `Commands`).
 *
 * - `RET=FULL|HDRS` (case-insensitive);
 * - `ENVID=<xtext>`, at most 100 characters (RFC 3461 §4.4), decoding to printable US-ASCII;
 * - `NOTIFY=NEVER` or a comma-separated list of `SUCCESS`, `FAILURE`, `DELAY`; `NEVER` with anything else is a
 *   syntax error (§4.1);
 * - `ORCPT=<addr-type>;<xtext>`, at most 500 characters (§4.2), the address decoding to printable US-ASCII;
 * - each at most once per command (§4: "MUST NOT be given more than once").
 *
 * @since 0.1.0
 */
import { Address, type Envelope } from "@cartero/smtp"
import { Result } from "effect"

/** The MAIL FROM DSN parameters. */
export interface MailDsn {
  readonly ret?: Envelope.Ret
  readonly envid?: string
}

/** The RCPT TO DSN parameters. */
export interface RcptDsn {
  readonly notify?: ReadonlyArray<Envelope.Notify>
  readonly orcpt?: string
}

/** Longest ENVID value (RFC 3461 §4.4) and ORCPT value (§4.2), as sent (xtext). */
export const maxEnvid = 100
export const maxOrcpt = 500

const verbPrefix = /^\s*(?:MAIL\s+FROM|RCPT\s+TO)\s*:\s*/i

/** The `KEY=value` parameters after the path of a MAIL/RCPT line, keys upper-cased (`value` undefined: no `=`). */
export const parameters = (line: string): ReadonlyArray<readonly [string, string | undefined]> => {
  const verb = verbPrefix.exec(line)
  if (verb === null) return []
  const rest = Address.splitPath(line.slice(verb[0].length))?.rest ?? ""
  return rest.trim().split(/\s+/).filter((p) => p !== "").map((p) => {
    const eq = p.indexOf("=")
    return eq < 0 ? [p.toUpperCase(), undefined] as const : [p.slice(0, eq).toUpperCase(), p.slice(eq + 1)] as const
  })
}

// xchar: "!".."~" except "+" and "="; hexchar: "+" and two hex digits (RFC 3461 §4; lower-case digits accepted).
const xtextSyntax = /^(?:[!-*,-<>-~]|\+[0-9A-Fa-f]{2})*$/
const printable = /^[\x20-\x7e]*$/

/** Decodes xtext; `undefined` when `raw` is not xtext or does not decode to printable US-ASCII. */
export const decodeXtext = (raw: string): string | undefined => {
  if (!xtextSyntax.test(raw)) return undefined
  const decoded = raw.replace(/\+([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
  return printable.test(decoded) ? decoded : undefined
}

const once = (params: ReadonlyArray<readonly [string, string | undefined]>, names: ReadonlyArray<string>) => {
  const seen = new Set<string>()
  for (const [key] of params) {
    if (!names.includes(key)) continue
    if (seen.has(key)) return `Duplicate ${key} parameter (RFC 3461 section 4)`
    seen.add(key)
  }
  return undefined
}

const notifyValues: ReadonlySet<string> = new Set(["NEVER", "SUCCESS", "FAILURE", "DELAY"])

/** The DSN parameters of a MAIL FROM line, or the text of the `501 5.5.4` its syntax deserves. */
export const mail = (line: string): Result.Result<MailDsn, string> => {
  const params = parameters(line)
  const duplicate = once(params, ["RET", "ENVID"])
  if (duplicate !== undefined) return Result.fail(duplicate)
  let out: { ret?: Envelope.Ret; envid?: string } = {}
  for (const [key, value] of params) {
    if (key === "RET") {
      const ret = value?.toUpperCase()
      if (ret !== "FULL" && ret !== "HDRS") return Result.fail("Bad RET parameter: must be RET=FULL or RET=HDRS")
      out = { ...out, ret }
    } else if (key === "ENVID") {
      if (value === undefined || value === "") return Result.fail("Bad ENVID parameter: a value is required")
      if (value.length > maxEnvid) return Result.fail(`Bad ENVID parameter: longer than ${maxEnvid} characters`)
      const envid = decodeXtext(value)
      if (envid === undefined) return Result.fail("Bad ENVID parameter: not xtext of printable US-ASCII (RFC 3461 section 4)")
      out = { ...out, envid }
    }
  }
  return Result.succeed(out)
}

/** The DSN parameters of a RCPT TO line, or the text of the `501 5.5.4` its syntax deserves. */
export const rcpt = (line: string): Result.Result<RcptDsn, string> => {
  const params = parameters(line)
  const duplicate = once(params, ["NOTIFY", "ORCPT"])
  if (duplicate !== undefined) return Result.fail(duplicate)
  let out: { notify?: ReadonlyArray<Envelope.Notify>; orcpt?: string } = {}
  for (const [key, value] of params) {
    if (key === "NOTIFY") {
      const items = (value ?? "").toUpperCase().split(",")
      if (items.some((i) => !notifyValues.has(i))) {
        return Result.fail("Bad NOTIFY parameter: must be NEVER, or a list of SUCCESS, FAILURE, DELAY")
      }
      if (items.includes("NEVER") && items.length > 1) {
        return Result.fail("Bad NOTIFY parameter: NEVER cannot be combined with other values (RFC 3461 section 4.1)")
      }
      out = { ...out, notify: [...new Set(items)] as Array<Envelope.Notify> }
    } else if (key === "ORCPT") {
      if (value === undefined) return Result.fail("Bad ORCPT parameter: must be addr-type;xtext")
      if (value.length > maxOrcpt) return Result.fail(`Bad ORCPT parameter: longer than ${maxOrcpt} characters`)
      const semi = value.indexOf(";")
      const type = value.slice(0, Math.max(semi, 0))
      const address = semi < 0 ? undefined : decodeXtext(value.slice(semi + 1))
      if (!/^[A-Za-z0-9-]{1,32}$/.test(type) || address === undefined || address === "") {
        return Result.fail("Bad ORCPT parameter: must be addr-type;xtext, e.g. rfc822;bob@example.org")
      }
      out = { ...out, orcpt: `${type};${address}` }
    }
  }
  return Result.succeed(out)
}
