import { Address, Envelope } from "@cartero/smtp"
import * as SmtpClient from "../../src/SmtpClient.ts"
import * as TlsPolicy from "../../src/TlsPolicy.ts"

/** Short timeouts for loopback tests: every wait bounded well below the test timeout. */
export const fastTimeouts = {
  connect: "2 seconds",
  greeting: "2 seconds",
  command: "2 seconds",
  tlsHandshake: "2 seconds",
  mail: "2 seconds",
  rcpt: "2 seconds",
  dataInit: "2 seconds",
  dataBlock: "2 seconds",
  dataTermination: "2 seconds",
  quit: "500 millis"
} as const

export const clientOptions = (over: SmtpClient.SmtpClientOptions = {}): SmtpClient.SmtpClientOptions => ({
  heloName: "client.test",
  tls: TlsPolicy.none,
  timeouts: fastTimeouts,
  ...over
})

export const rcpt = (local: string, domain = "dest.test"): Envelope.Recipient => ({ address: Address.make(local, domain) })

export const envelope = (
  recipients: ReadonlyArray<string | Envelope.Recipient>,
  params: Partial<Envelope.MailParams> = {}
): Envelope.Envelope =>
  Envelope.make(
    Address.make("sender", "origin.test"),
    recipients.map((r) => (typeof r === "string" ? rcpt(r) : r)),
    { smtpUtf8: false, ...params }
  )

export const message = (body = "Hello Bob.\r\n"): Uint8Array =>
  Buffer.from(`From: <sender@origin.test>\r\nTo: <bob@dest.test>\r\nSubject: test\r\n\r\n${body}`)

/** A port with nothing listening (bound, then released). */
export { freePort } from "./freePort.ts"
