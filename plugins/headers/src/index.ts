/**
 * `@cartero/plugin-headers`: completes and cleans the header of submitted mail (Message-ID, Date, Bcc, and the
 * submitting client's trace in privacy mode).
 *
 * @since 0.1.0
 */
export * as Headers from "./Headers.ts"
export * as PrivateReceived from "./PrivateReceived.ts"
export * as Submission from "./Submission.ts"
