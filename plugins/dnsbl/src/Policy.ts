/**
 * The plugin's options as an operator writes them ({@link Options}), and the validated form the hooks use
 * ({@link Policy}). {@link make} checks everything once, at start-up, so a typo in a zone or a network stops the
 * server with a message naming the option instead of silently checking nothing.
 *
 * @since 0.1.0
 */
import type { Session } from "@cartero/core"
import { Cidr } from "@cartero/plugin-local-domains"
import { Header } from "@cartero/smtp"
import { Data, Duration, Option, Result } from "effect"
import type * as Decision from "./Decision.ts"
import * as Zone from "./Zone.ts"

/** Options, given in code (or in `cartero.config.ts`). */
export interface Options {
  /** IP blocklists, checked against the client address (see `Zone` for the string syntax). */
  readonly zones?: ReadonlyArray<Zone.ZoneSpec> | undefined
  /** Domain lists (DBL-style), checked against the HELO name, the MAIL FROM domain and (opt-in) body links. */
  readonly domainZones?: ReadonlyArray<Zone.ZoneSpec> | undefined
  /**
   * What domain lists without their own `checks` are asked about: `helo`, `mailFrom`, `body` (links in the
   * message). Default `["helo", "mailFrom"]`.
   */
  readonly domainChecks?: ReadonlyArray<Zone.DomainCheck> | undefined
  /** Clients never checked: addresses and CIDR networks (IPv4 and IPv6). Default none. */
  readonly allow?: ReadonlyArray<string> | undefined
  /**
   * Also check loopback, private (RFC 1918, unique-local), link-local and CGNAT clients. Default false: no list
   * has data about them, and a query about them tells the list who your internal hosts are.
   */
  readonly checkPrivate?: boolean | undefined
  /** Listeners whose clients are checked. Default `["mx"]`: submission clients authenticate, often from listed dynamic addresses. */
  readonly listeners?: ReadonlyArray<Session.ListenerKind> | undefined
  /**
   * Refuse at `RCPT TO` (default `true`, Postfix's `smtpd_delay_reject`): the log then shows sender and recipient,
   * and a client that authenticates is not refused. `false`: refuse where the subject becomes known: the client
   * at connect (before the banner, like postscreen), the HELO name at HELO, the sender at MAIL FROM. Body links
   * are always judged after the body.
   */
  readonly delayReject?: boolean | undefined
  /** Score at which `score` listings refuse (Postfix `postscreen_dnsbl_threshold`). Default 1. */
  readonly threshold?: number | undefined
  /**
   * Time all zones together may take for one subject; zones without an answer by then count as not listing.
   * Default 5 s, at most 25 s (a hook may take 30 s).
   */
  readonly timeout?: Duration.Input | undefined
  /** A zone that could not be asked (SERVFAIL, timeout): `pass` (default, fail-open) or `defer` (`451 4.7.1`). */
  readonly onTempFail?: "pass" | "defer" | undefined
  /** Header added for `tag` listings. Default `X-DNSBL`. */
  readonly tagHeader?: string | undefined
  /** Body links: octets of the message scanned. Default 65 536. */
  readonly maxBodyBytes?: number | undefined
  /** Body links: distinct host names looked up per message. Default 10. */
  readonly maxBodyDomains?: number | undefined
}

/** The option a problem is in. */
export type Field = keyof Options

/** An option that cannot be used. */
export class OptionsError extends Data.TaggedError("OptionsError")<{ readonly field: Field; readonly detail: string }> {
  override get message(): string {
    return `dnsbl: invalid ${this.field}: ${this.detail}`
  }
}

/** The validated options. */
export interface Policy {
  readonly ipZones: ReadonlyArray<Zone.Zone>
  readonly domainZones: ReadonlyArray<Zone.Zone>
  readonly allow: ReadonlyArray<Cidr.Cidr>
  readonly checkPrivate: boolean
  readonly listeners: ReadonlySet<Session.ListenerKind>
  readonly delayReject: boolean
  readonly timeout: Duration.Duration
  readonly decision: Decision.Settings
  readonly maxBodyBytes: number
  readonly maxBodyDomains: number
}

/** Networks no blocklist knows: loopback, RFC 1918, CGNAT, link-local, unspecified, IPv6 unique-local and link-local. */
export const privateNetworks: ReadonlyArray<Cidr.Cidr> = [
  "0.0.0.0/8",
  "10.0.0.0/8",
  "100.64.0.0/10",
  "127.0.0.0/8",
  "169.254.0.0/16",
  "172.16.0.0/12",
  "192.168.0.0/16",
  "::/128",
  "::1/128",
  "fc00::/7",
  "fe80::/10"
].flatMap((text) => {
  const cidr = Cidr.parse(text)
  return Result.isSuccess(cidr) ? [cidr.success] : []
})

/** Longest `timeout`: a hook may take 30 s (`Plugin.defaultTimeout`) before the pipeline gives up on it. */
const maxTimeoutMs = 25_000

const listenerKinds: ReadonlyArray<Session.ListenerKind> = ["mx", "submission", "smtps"]

/** Validates and normalises the options. */
export const make = (options: Options): Result.Result<Policy, OptionsError> => {
  const fail = (field: Field, detail: string) => Result.fail(new OptionsError({ field, detail }))
  const ipZones = Zone.makeAll(options.zones ?? [], "ip")
  if (Result.isFailure(ipZones)) return fail("zones", ipZones.failure.message)
  const domainZones = Zone.makeAll(options.domainZones ?? [], "domain", options.domainChecks ?? Zone.defaultChecks)
  if (Result.isFailure(domainZones)) return fail("domainZones", domainZones.failure.message)
  if (ipZones.success.length === 0 && domainZones.success.length === 0) {
    return fail("zones", "no zone configured: give zones (IP lists) or domainZones (domain lists)")
  }
  const allow = Cidr.parseList(options.allow ?? [])
  if (Result.isFailure(allow)) return fail("allow", allow.failure.message)
  const listeners = options.listeners ?? ["mx"]
  for (const l of listeners) if (!listenerKinds.includes(l)) return fail("listeners", `${JSON.stringify(l)} is not one of ${listenerKinds.join(", ")}`)
  const threshold = options.threshold ?? 1
  if (!Number.isSafeInteger(threshold) || threshold < 1) return fail("threshold", `${threshold} is not an integer of at least 1`)
  const timeout = Option.getOrUndefined(Duration.fromInput(options.timeout ?? "5 seconds"))
  // Under the pipeline's hook timeout (30 s), which would answer 451 4.3.0 for the whole plugin instead.
  if (timeout === undefined || Duration.toMillis(timeout) <= 0 || Duration.toMillis(timeout) > maxTimeoutMs) {
    return fail("timeout", `${String(options.timeout)} is not a duration of more than 0 and at most 25 seconds`)
  }
  const onTempFail = options.onTempFail ?? "pass"
  if (onTempFail !== "pass" && onTempFail !== "defer") return fail("onTempFail", `${JSON.stringify(onTempFail)} is not pass or defer`)
  const tagHeader = options.tagHeader ?? "X-DNSBL"
  if (!Header.isFieldName(tagHeader)) return fail("tagHeader", `${JSON.stringify(tagHeader)} is not a header field name`)
  const maxBodyBytes = options.maxBodyBytes ?? 65_536
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1 || maxBodyBytes > 16_777_216) {
    return fail("maxBodyBytes", `${maxBodyBytes} is not an integer 1-16777216`)
  }
  const maxBodyDomains = options.maxBodyDomains ?? 10
  if (!Number.isSafeInteger(maxBodyDomains) || maxBodyDomains < 1 || maxBodyDomains > 100) {
    return fail("maxBodyDomains", `${maxBodyDomains} is not an integer 1-100`)
  }
  return Result.succeed({
    ipZones: ipZones.success,
    domainZones: domainZones.success,
    allow: allow.success,
    checkPrivate: options.checkPrivate ?? false,
    listeners: new Set(listeners),
    delayReject: options.delayReject ?? true,
    timeout,
    decision: { threshold, onTempFail, tagHeader },
    maxBodyBytes,
    maxBodyDomains
  })
}
