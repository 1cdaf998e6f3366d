/**
 * `@cartero/plugin-dnsbl`: DNS blocklists for the client address (IPv4 and IPv6) and for domains (HELO, MAIL FROM,
 * body links), with Postfix-style return-code filters, per-zone actions and weights.
 *
 * @since 0.1.0
 */
export * as BodyDomains from "./BodyDomains.ts"
export * as Check from "./Check.ts"
export * as Decision from "./Decision.ts"
export * as Dnsbl from "./Dnsbl.ts"
export * as Policy from "./Policy.ts"
export * as QueryName from "./QueryName.ts"
export * as ReturnCodes from "./ReturnCodes.ts"
export * as Txt from "./Txt.ts"
export * as Zone from "./Zone.ts"
