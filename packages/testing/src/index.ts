/**
 * `@cartero/testing`: the test kit for server, plugin and delivery authors. Real sockets on loopback, no mocks:
 * an SMTP transcript runner and client, a fake DNS server (dns2) with zones declared in the test, and a scriptable
 * SMTP sink that records what it receives, and a small LMTP server.
 *
 * @since 0.1.0
 */
export * as FakeDns from "./FakeDns.ts"
export * as LmtpSink from "./LmtpSink.ts"
export * as SmtpSink from "./SmtpSink.ts"
export * as SmtpTestClient from "./SmtpTestClient.ts"
export * as TempDir from "./TempDir.ts"
export * as TestSession from "./TestSession.ts"
export * as TestStore from "./TestStore.ts"
export * as TestTls from "./TestTls.ts"
export * as Transcript from "./Transcript.ts"
