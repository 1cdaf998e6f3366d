/**
 * `@cartero/plugin-webhook`: delivers the queued mail of chosen domains to an HTTP endpoint, one signed POST per
 * message and domain, retried through the queue; `Signature` signs and verifies (for receivers written in
 * TypeScript).
 *
 * @since 0.1.0
 */
export * as Payload from "./Payload.ts"
export * as Signature from "./Signature.ts"
export * as Webhook from "./Webhook.ts"
