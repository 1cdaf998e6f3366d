/**
 * What a webhook POST carries: the delivery's metadata and the raw message, as one JSON document (the message in
 * base64) or as `multipart/form-data` (a `metadata` JSON part and a `message` part with the raw octets, for
 * receivers that would rather not decode base64 or that stream large messages to storage).
 *
 * ```json
 * { "id": "0mxe03y1bkmnj7fhiomwr-5f0c6a1d2e3b4c5d", "queueId": "0mxe03y1bkmnj7fhiomwr", "domain": "hooks.example",
 *   "mailFrom": "alice@example.org", "recipients": ["orders@hooks.example"], "size": 1234, "message": "RnJvbTog…" }
 * ```
 *
 * The `id` is the delivery's: the queue id and a digest of the domain and recipients, so every retry of one
 * delivery carries the same id (the `webhook-id` header too), and a receiver deduplicates on it.
 *
 * @since 0.1.0
 */
import { Address, type Envelope } from "@cartero/smtp"
import * as crypto from "node:crypto"

/** The payload formats. */
export type Format = "json" | "multipart"

/** The delivery's metadata (the JSON document, or the `metadata` part). */
export interface Metadata {
  readonly id: string
  /** Cartero's queue id of the message. */
  readonly queueId: string
  /** The destination domain of this delivery. */
  readonly domain: string
  /** The envelope sender; `null` for the null reverse path (a bounce). */
  readonly mailFrom: string | null
  /** The envelope recipients of this delivery (all of one domain). */
  readonly recipients: ReadonlyArray<string>
  /** The message's size in octets. */
  readonly size: number
}

/** The delivery id: stable across retries of the same message to the same recipients. */
export const deliveryId = (queueId: string, domain: string, recipients: ReadonlyArray<string>): string => {
  const digest = crypto.createHash("sha256").update([domain, ...[...recipients].sort()].join("\n")).digest("hex").slice(0, 16)
  return `${queueId}-${digest}`
}

/** The metadata of a delivery. */
export const metadata = (queueId: string, domain: string, envelope: Envelope.Envelope, size: number): Metadata => {
  const recipients = envelope.recipients.map((r) => Address.format(r.address))
  return {
    id: deliveryId(queueId, domain, recipients),
    queueId,
    domain,
    mailFrom: envelope.mailFrom === null ? null : Address.format(envelope.mailFrom),
    recipients,
    size
  }
}

/** A request body and its content type. */
export interface Body {
  readonly contentType: string
  readonly bytes: Uint8Array
}

/** The body of the POST in `format`. */
export const encode = (format: Format, meta: Metadata, message: Uint8Array): Body => {
  if (format === "json") {
    return {
      contentType: "application/json",
      bytes: Buffer.from(JSON.stringify({ ...meta, message: Buffer.from(message).toString("base64") }))
    }
  }
  // A boundary that cannot occur in the message (RFC 2046 §5.1.1 asks for that; random is the usual way).
  const boundary = `cartero-${crypto.randomBytes(18).toString("hex")}`
  const head = (name: string, type: string, filename?: string) =>
    `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${filename === undefined ? "" : `; filename="${filename}"`}\r\n` +
    `Content-Type: ${type}\r\n\r\n`
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    bytes: Buffer.concat([
      Buffer.from(head("metadata", "application/json") + JSON.stringify(meta) + "\r\n"),
      Buffer.from(head("message", "message/rfc822", `${meta.queueId}.eml`)),
      message,
      Buffer.from(`\r\n--${boundary}--\r\n`)
    ])
  }
}
