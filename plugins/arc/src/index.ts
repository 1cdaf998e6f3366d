/**
 * `@cartero/plugin-arc`: ARC (RFC 8617) with mailauth. `ArcVerify.plugin()` validates the chain of a received
 * message; `ArcSeal.plugin({ seal })` adds our ARC set to the messages we relay.
 *
 * @since 0.1.0
 */
export * as ArcSeal from "./ArcSeal.ts"
export * as ArcVerify from "./ArcVerify.ts"
export * as Chain from "./Chain.ts"
