/**
 * A signing key: a domain (`d=`), a selector (`s=`) and a private key, read from a PEM file when the plugin starts.
 *
 * Everything that can be wrong with a key is found then, with a message naming the key and the file: the file is
 * missing or unreadable, it holds no private key (a public key, a certificate, garbage, an encrypted key), the key
 * is neither RSA nor Ed25519, or it is an RSA key under 1024 bits (RFC 8301 §3.2: verifiers must refuse them).
 * RSA keys under 2048 bits are used, with a warning.
 *
 * @since 0.1.0
 */
import { Data, Effect, Result } from "effect"
import * as crypto from "node:crypto"
import * as Fs from "node:fs/promises"
import * as Url from "node:url"
import * as DnsRecord from "./DnsRecord.ts"
import * as KeyGen from "./KeyGen.ts"

/** Where a key comes from: its domain, its selector and the PEM file of its private key. */
export interface KeySource {
  /** The signing domain, `d=` (a domain name; IDNs are signed in their A-label form). */
  readonly domain: string
  /** The selector, `s=`: the key's record is `<selector>._domainkey.<domain>`. */
  readonly selector: string
  /** Path of the private key, PEM (PKCS#8, or PKCS#1 for RSA), unencrypted. */
  readonly keyFile: string
}

/** A key ready to sign with. */
export interface SigningKey {
  /** Lower case, ASCII (A-label). */
  readonly domain: string
  readonly selector: string
  readonly type: DnsRecord.KeyType
  /** RSA modulus length; undefined for Ed25519. */
  readonly bits: number | undefined
  /** The private key as PKCS#8 PEM (what mailauth is given). */
  readonly privateKeyPem: string
  /** The DNS record that must be published for this key (`v=DKIM1; k=…; p=…`). */
  readonly record: string
  /** The file it was read from (for messages). */
  readonly source: string
}

/** A key that cannot be used; the message says which and why. */
export class KeyError extends Data.TaggedError("DkimKeyError")<{
  readonly domain: string
  readonly selector: string
  readonly source: string
  readonly reason: string
}> {
  override get message(): string {
    return `DKIM key ${this.selector}._domainkey.${this.domain} (${this.source}): ${this.reason}`
  }
}

const label = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i

/** Whether every dot-separated label of `name` is a letter-digit-hyphen label (as selectors and A-labels are). */
const isDnsName = (name: string): boolean => name.length <= 253 && name.split(".").every((l) => label.test(l))

/** A domain name in the form keys are looked up by: A-label, lower case, no trailing dot; undefined when invalid. */
export const normalizeDomain = (domain: string): string | undefined => {
  const ascii = Url.domainToASCII(domain.trim().replace(/\.$/, "")).toLowerCase()
  return ascii !== "" && ascii.includes(".") && isDnsName(ascii) ? ascii : undefined
}

/** Whether `selector` is a valid selector (RFC 6376 §3.1: dot-separated sub-domain labels). */
export const isSelector = (selector: string): boolean => isDnsName(selector)

/** What was learnt about a key besides the key: a warning to log, if any. */
export interface Loaded {
  readonly key: SigningKey
  readonly warning: string | undefined
}

/** Builds a key from PEM text (`source` names where it came from in messages). Pure: no file, no logging. */
export const fromPem = (spec: { readonly domain: string; readonly selector: string }, pem: string | Buffer, source: string): Result.Result<Loaded, KeyError> => {
  const fail = (reason: string) => Result.fail(new KeyError({ domain: spec.domain, selector: spec.selector, source, reason }))
  const domain = normalizeDomain(spec.domain)
  if (domain === undefined) return fail(`${JSON.stringify(spec.domain)} is not a domain name`)
  if (!isSelector(spec.selector)) return fail(`${JSON.stringify(spec.selector)} is not a selector (letters, digits, hyphens, dots)`)
  let key: crypto.KeyObject
  try {
    key = crypto.createPrivateKey({ key: pem, format: "pem" })
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error)
    return fail(`not an unencrypted PEM private key (${detail})`)
  }
  const type = key.asymmetricKeyType
  if (type !== "rsa" && type !== "ed25519") return fail(`a${type === "ec" ? "n" : ""} ${type ?? "unknown"} key; DKIM signs with RSA or Ed25519 keys`)
  const bits = type === "rsa" ? key.asymmetricKeyDetails?.modulusLength : undefined
  if (type === "rsa" && (bits === undefined || bits < KeyGen.minRsaBits)) {
    return fail(`a ${bits ?? "?"}-bit RSA key is too small: verifiers refuse RSA keys under ${KeyGen.minRsaBits} bits (RFC 8301); generate a ${KeyGen.recommendedRsaBits}-bit one`)
  }
  const warning = bits !== undefined && bits < KeyGen.recommendedRsaBits
    ? `a ${bits}-bit RSA key is weak; use ${KeyGen.recommendedRsaBits} bits (RFC 8301)`
    : undefined
  return Result.succeed({
    key: {
      domain,
      selector: spec.selector,
      type,
      bits,
      privateKeyPem: key.export({ type: "pkcs8", format: "pem" }).toString(),
      record: DnsRecord.text(type, DnsRecord.publicKeyValue(key)),
      source
    },
    warning
  })
}

/** Reads and checks a key file; a weak key is logged as a warning. */
export const load = Effect.fn("SigningKey.load")(function*(spec: KeySource) {
  const fail = (reason: string) => new KeyError({ domain: spec.domain, selector: spec.selector, source: spec.keyFile, reason })
  const pem = yield* Effect.tryPromise({
    try: () => Fs.readFile(spec.keyFile),
    catch: (error) => fail(describeReadError(error))
  })
  const loaded = fromPem(spec, pem, spec.keyFile)
  if (Result.isFailure(loaded)) return yield* loaded.failure
  const { key, warning } = loaded.success
  if (warning !== undefined) yield* Effect.logWarning(`DKIM key ${key.selector}._domainkey.${key.domain} (${key.source}): ${warning}`)
  return key
})

const describeReadError = (error: unknown): string => {
  const code = typeof error === "object" && error !== null && "code" in error ? error.code : undefined
  if (code === "ENOENT") return "no such file"
  if (code === "EACCES") return "permission denied (the server's user must be able to read it)"
  if (code === "EISDIR") return "is a directory, not a key file"
  return `cannot read it (${error instanceof Error ? error.message : String(error)})`
}
