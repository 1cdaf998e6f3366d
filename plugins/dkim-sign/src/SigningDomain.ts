/**
 * Which domain signs a message: the domain of its `From:` address (the one DMARC checks alignment against) when a
 * key is configured for it, else the nearest parent domain with a key (`d=example.com` for mail from
 * `news.example.com` is aligned under DMARC's relaxed alignment), else the default signing domain if one is
 * configured (not aligned, but the mail still carries a signature of the sending service), else none. A message
 * without a `From:` address is not signed.
 *
 * @since 0.1.0
 */
import { AddressList, Headers } from "@cartero/mime"
import * as SigningKey from "./SigningKey.ts"

/**
 * The domain of the first mailbox of the first `From:` field, normalised as keys are (A-label, lower case), or
 * undefined when the message has no `From:` with an address.
 */
export const fromDomain = (message: Uint8Array): string | undefined => {
  const from = Headers.parse(message).get("From")
  if (from === undefined) return undefined
  // The raw value: the parser decodes encoded words in names itself, after splitting (a decoded name may hold a comma).
  const mailbox = AddressList.mailboxes(AddressList.parseList(from.value))[0]
  const at = mailbox?.address.lastIndexOf("@") ?? -1
  if (mailbox === undefined || at < 0) return undefined
  return SigningKey.normalizeDomain(mailbox.address.slice(at + 1))
}

/** The domains that may sign for `domain`: itself, then each parent up to (not including) the top-level label. */
export const candidates = (domain: string): ReadonlyArray<string> => {
  const labels = domain.split(".")
  return labels.slice(0, -1).map((_, i) => labels.slice(i).join("."))
}

/** The signing domain and why it was chosen. */
export type Choice =
  | { readonly _tag: "From"; readonly domain: string }
  | { readonly _tag: "Default"; readonly domain: string; readonly reason: string }
  | { readonly _tag: "None"; readonly reason: string }

/** Chooses the signing domain among those that have keys. */
export const choose = (from: string | undefined, hasKeys: (domain: string) => boolean, defaultDomain: string | undefined): Choice => {
  // RFC 6376 §5.4: From must be signed; a message without one is not signed at all, not even by the default domain.
  if (from === undefined) return { _tag: "None", reason: "no From address" }
  const own = candidates(from).find(hasKeys)
  if (own !== undefined) return { _tag: "From", domain: own }
  const reason = `no DKIM key for ${from}`
  return defaultDomain !== undefined && hasKeys(defaultDomain) ? { _tag: "Default", domain: defaultDomain, reason } : { _tag: "None", reason }
}
