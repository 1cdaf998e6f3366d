/**
 * `@cartero/plugin-maildir`: store accepted mail for local recipients in Maildirs, two-phase and atomically.
 *
 * @since 0.1.0
 */
export * as Delivery from "./Delivery.ts"
export * as Mailbox from "./Mailbox.ts"
export * as Maildir from "./Maildir.ts"
export * as UniqueName from "./UniqueName.ts"
