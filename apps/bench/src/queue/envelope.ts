/**
 * Envelopes for the queue benchmarks: a sender and recipients from plain `local@domain` strings.
 *
 * @since 0.1.0
 */
import { Envelope } from "@cartero/smtp"

const rcpt = (address: string): Envelope.Recipient => {
  const at = address.lastIndexOf("@")
  return { address: { localPart: address.slice(0, at), domain: address.slice(at + 1) } }
}

/** An envelope from a sender (or `null`) to recipient addresses. */
export const envelope = (from: string | null, ...to: ReadonlyArray<string>): Envelope.Envelope =>
  Envelope.make(from === null ? null : rcpt(from).address, to.map(rcpt))
