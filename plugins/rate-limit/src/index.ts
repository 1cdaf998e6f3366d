/**
 * `@cartero/plugin-rate-limit`: sliding-window rate limits per client address, user, sender domain (inbound) and
 * per destination domain (outbound), counted in the app's `PolicyStore`.
 *
 * @since 0.1.0
 */
export * as ClientNetwork from "./ClientNetwork.ts"
export * as OutboundRateLimit from "./OutboundRateLimit.ts"
export * as Rate from "./Rate.ts"
export * as RateLimit from "./RateLimit.ts"
