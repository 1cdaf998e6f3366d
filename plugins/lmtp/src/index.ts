/**
 * `@cartero/plugin-lmtp`: delivers the queued mail of chosen domains to an LMTP server (Dovecot, Cyrus) over a Unix
 * socket or TCP, with per-recipient outcomes.
 *
 * @since 0.1.0
 */
export * as Lmtp from "./Lmtp.ts"
