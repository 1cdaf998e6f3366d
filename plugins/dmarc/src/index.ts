/**
 * `@cartero/plugin-dmarc`: DMARC (RFC 7489) after the body, and the message's `Authentication-Results:` field.
 *
 * @since 0.1.0
 */
export * as Dmarc from "./Dmarc.ts"
export * as DmarcPolicy from "./DmarcPolicy.ts"
export * as Evaluate from "./Evaluate.ts"
