/**
 * `@cartero/plugin-spf`: SPF (RFC 7208) at MAIL FROM, with mailauth over `@cartero/dns`.
 *
 * @since 0.1.0
 */
export * as Spf from "./Spf.ts"
export * as SpfPolicy from "./SpfPolicy.ts"
