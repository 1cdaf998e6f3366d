/**
 * `@cartero/dns`: DNS resolution for the MTA (MX, A, AAAA, TXT, PTR) over dns2, with typed outcomes that tell a
 * temporary failure from a permanent one, retries on an Effect Schedule, and a TTL-respecting bounded cache.
 *
 * @since 0.1.0
 */
export * as Dns from "./Dns.ts"
export * as DnsCache from "./DnsCache.ts"
export * as DnsMetrics from "./DnsMetrics.ts"
export * as DnsError from "./DnsError.ts"
export * as MemoryDns from "./MemoryDns.ts"
export * as Mx from "./Mx.ts"
export * as Names from "./Names.ts"
export * as Nameserver from "./Nameserver.ts"
