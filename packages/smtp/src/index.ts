/**
 * `@cartero/smtp`: the SMTP vocabulary, pure and free of I/O.
 *
 * @since 0.1.0
 */
export * as Address from "./Address.ts"
export * as EnhancedCode from "./EnhancedCode.ts"
export * as Envelope from "./Envelope.ts"
export * as EnvelopeJson from "./EnvelopeJson.ts"
export * as Header from "./Header.ts"
export * as HopCount from "./HopCount.ts"
export * as ReplyCode from "./ReplyCode.ts"
export * as SmtpReply from "./SmtpReply.ts"
export * as Verdict from "./Verdict.ts"
