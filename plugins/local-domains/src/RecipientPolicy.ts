/**
 * The recipient policy as a pure value: which domains are local, which users exist in them, and which clients may
 * relay to other domains. {@link decide} is the whole anti-open-relay rule as one decision table; the plugin only
 * turns its answer into a verdict.
 *
 * | recipient domain | user known (or catch-all) | client authenticated or in a trusted network | decision       |
 * |------------------|---------------------------|----------------------------------------------|----------------|
 * | local            | yes                       | any                                          | `Local`        |
 * | local            | no                        | any                                          | `UnknownUser`  |
 * | not local        | —                         | yes                                          | `Relay`        |
 * | not local        | —                         | no                                           | `RelayDenied`  |
 *
 * Matching is case-insensitive for domains (compared in their ASCII/A-label form, so `bücher.example` and
 * `xn--bcher-kva.example` are one domain) and for local parts (see docs/decisions/local-part-case.md).
 * `postmaster` exists in every local domain, as RFC 5321 §4.5.1 requires, and at the server's own host name: the
 * domainless `RCPT TO:<Postmaster>`, which every SMTP server must accept, reaches the plugins as
 * `postmaster@<hostname>` (the server's `CARTERO_HOSTNAME`), and is local even when the host name is not one of the
 * local domains.
 *
 * @since 0.1.0
 */
import { Address } from "@cartero/smtp"
import { Data, Result } from "effect"
import * as Cidr from "./Cidr.ts"

/** Configuration of the policy, as written by an operator. */
export interface Options {
  /** Local domains. Mail for them is accepted (when the user exists) and never relayed. */
  readonly domains: ReadonlyArray<string>
  /**
   * The users that exist, as full addresses (`alice@example.com`), plus `@domain` entries that make one domain a
   * catch-all. When omitted, every local domain is a catch-all (any local part is accepted). When given, a local
   * domain accepts only the listed users (and postmaster), unless it has an `@domain` entry.
   */
  readonly addresses?: ReadonlyArray<string> | undefined
  /** Client networks allowed to relay without authenticating (CIDR list). Default: none. */
  readonly trustedNetworks?: ReadonlyArray<string> | undefined
  /**
   * The server's host name (its `CARTERO_HOSTNAME`): `postmaster@<hostname>`, which is what the server makes of a
   * domainless `<Postmaster>`, is a local mailbox. Default: none (only the local domains' postmasters).
   */
  readonly hostname?: string | undefined
}

/** A configuration value that cannot be used. `field` names the option (or environment variable). */
export class PolicyError extends Data.TaggedError("PolicyError")<{
  readonly field: "domains" | "addresses" | "trustedNetworks"
  readonly detail: string
}> {
  override get message(): string {
    return `invalid ${this.field}: ${this.detail}`
  }
}

/** The validated, normalised policy. */
export interface Policy {
  /** Local domains, ASCII (A-label) form, lower case, in configuration order. */
  readonly domains: ReadonlyArray<string>
  /** Domains that accept any local part. */
  readonly catchAll: ReadonlySet<string>
  /** Known users, as `folded-local-part@ascii-domain`. */
  readonly users: ReadonlySet<string>
  readonly trustedNetworks: ReadonlyArray<Cidr.Cidr>
  /** The server's host name, ASCII lower case, whose postmaster is local; undefined when not given. */
  readonly hostname: string | undefined
}

/** What the policy says about one recipient of one client. */
export type Decision = "Local" | "UnknownUser" | "Relay" | "RelayDenied"

/** What the policy needs to know about the client. */
export interface Client {
  readonly remoteAddress: string
  /** The authenticated user, if any (AUTH succeeded on this connection). */
  readonly user: string | undefined
}

/** Case folding of local parts, shared with the Maildir plugin's directory names. */
export const foldLocalPart = (localPart: string): string => localPart.normalize("NFC").toLowerCase()

const parseDomain = (domain: string): Result.Result<string, string> => {
  const parsed = Address.parseMailbox(`postmaster@${domain.trim()}`, { smtpUtf8: true })
  return Result.isFailure(parsed)
    ? Result.fail(`${JSON.stringify(domain)} is not a domain name`)
    : Result.succeed(Address.asciiDomain(parsed.success))
}

const key = (address: Address.Address): string => `${foldLocalPart(address.localPart)}@${Address.asciiDomain(address)}`

/** Validates and normalises the options. */
export const make = (options: Options): Result.Result<Policy, PolicyError> => {
  const domains: Array<string> = []
  for (const d of options.domains) {
    const parsed = parseDomain(d)
    if (Result.isFailure(parsed)) return Result.fail(new PolicyError({ field: "domains", detail: parsed.failure }))
    if (!domains.includes(parsed.success)) domains.push(parsed.success)
  }
  if (domains.length === 0) {
    return Result.fail(new PolicyError({ field: "domains", detail: "at least one local domain is required" }))
  }
  const catchAll = new Set<string>()
  const users = new Set<string>()
  if (options.addresses === undefined) {
    for (const d of domains) catchAll.add(d)
  } else {
    for (const entry of options.addresses) {
      const text = entry.trim()
      const addressError = (detail: string) => Result.fail(new PolicyError({ field: "addresses", detail }))
      if (text.startsWith("@")) {
        const parsed = parseDomain(text.slice(1))
        if (Result.isFailure(parsed)) return addressError(parsed.failure)
        if (!domains.includes(parsed.success)) return addressError(`${text}: ${parsed.success} is not a local domain`)
        catchAll.add(parsed.success)
        continue
      }
      const parsed = Address.parseMailbox(text, { smtpUtf8: true })
      if (Result.isFailure(parsed)) return addressError(`${JSON.stringify(text)} is not an address (${parsed.failure.detail})`)
      if (!domains.includes(Address.asciiDomain(parsed.success))) {
        return addressError(`${text}: ${parsed.success.domain} is not a local domain`)
      }
      users.add(key(parsed.success))
    }
  }
  const networks = Cidr.parseList(options.trustedNetworks ?? [])
  if (Result.isFailure(networks)) {
    return Result.fail(new PolicyError({ field: "trustedNetworks", detail: networks.failure.message }))
  }
  const hostname = options.hostname === undefined || options.hostname.trim() === ""
    ? undefined
    : options.hostname.trim().toLowerCase()
  return Result.succeed({ domains, catchAll, users, trustedNetworks: networks.success, hostname })
}

/** Whether the address is in a local domain (whether or not the user exists). */
export const isLocalDomain = (policy: Policy, address: Address.Address): boolean =>
  policy.domains.includes(Address.asciiDomain(address))

/** Whether the address is a local mailbox that exists (listed, postmaster, or in a catch-all domain). */
export const isKnownUser = (policy: Policy, address: Address.Address): boolean => {
  const domain = Address.asciiDomain(address)
  if (!policy.domains.includes(domain)) return false
  return policy.catchAll.has(domain) || foldLocalPart(address.localPart) === "postmaster" || policy.users.has(key(address))
}

/** Whether the client may relay: it authenticated, or its address is in a trusted network. */
export const mayRelay = (policy: Policy, client: Client): boolean =>
  client.user !== undefined || Cidr.containsAny(policy.trustedNetworks, client.remoteAddress)

/** Whether the address is the postmaster of the server's own host name (RFC 5321 §4.5.1: `<Postmaster>`). */
export const isHostPostmaster = (policy: Policy, address: Address.Address): boolean =>
  policy.hostname !== undefined && foldLocalPart(address.localPart) === "postmaster" &&
  Address.asciiDomain(address) === policy.hostname

/** The decision table (see the module documentation). */
export const decide = (policy: Policy, client: Client, recipient: Address.Address): Decision =>
  isLocalDomain(policy, recipient)
    ? isKnownUser(policy, recipient) ? "Local" : "UnknownUser"
    : isHostPostmaster(policy, recipient)
    ? "Local"
    : mayRelay(policy, client)
    ? "Relay"
    : "RelayDenied"
