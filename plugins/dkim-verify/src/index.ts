/**
 * `@cartero/plugin-dkim-verify`: verifies every DKIM signature of a received message (RFC 6376) with mailauth and
 * records the results for later plugins.
 *
 * @since 0.1.0
 */
export * as DkimVerify from "./DkimVerify.ts"
export * as Verifier from "./Verifier.ts"
