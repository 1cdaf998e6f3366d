/**
 * What the fuzzer does with each input: everything the network can make us read, as named steps. The full parser
 * with the reader's view (dates, addresses, encoded words, text in every charset, flowed text, DSN parts), the
 * structure-only parser whole and streamed in chunks with every lazily read value forced, the header parser with
 * every field decoded, and the DSN reader on raw bytes. Any exception escapes to the caller, which reports it.
 *
 * @since 0.1.0
 */
import { AddressList, Dsn, Headers, MailDate, Message, Parser, Part } from "../src/index.ts"

/** One way of reading a message, timed on its own. */
export interface Step {
  readonly name: string
  readonly run: (bytes: Uint8Array) => void
}

const addressFields = ["from", "to", "cc", "bcc", "reply-to", "sender", "resent-to"]
const dateFields = ["date", "resent-date"]
const statusTypes = ["message/delivery-status", "message/global-delivery-status"]

/** Reads every value of a tree that is built on first access, so lazy paths are exercised as much as eager ones. */
const force = (root: Part.Part): void => {
  for (const part of Part.walk(root)) {
    void part.contentType
    void part.disposition
    void part.transferEncoding
    for (const field of part.headers.fields) void field.name
    Part.filename(part)
  }
}

export const steps: ReadonlyArray<Step> = [
  {
    name: "Message.parse",
    run: (bytes) => {
      const root = Parser.parse(bytes)
      const message = Message.fromPart(root, bytes)
      for (const field of message.headers.fields) {
        void field.decoded
        const name = field.name.toLowerCase()
        if (addressFields.includes(name)) AddressList.parseList(field.value)
        if (dateFields.includes(name)) MailDate.parse(field.value)
      }
      for (const part of Part.walk(root)) if (part.body !== undefined && statusTypes.includes(part.contentType.mediaType)) Dsn.readStatus(part.body)
    }
  },
  { name: "Parser.parseStructure", run: (bytes) => force(Parser.parseStructure(bytes)) },
  {
    name: "Parser.make (structure, 16 KiB chunks)",
    run: (bytes) => {
      const parser = Parser.make({ bodies: "none" })
      for (let at = 0; at < bytes.length; at += 16384) parser.write(bytes.subarray(at, at + 16384))
      force(parser.end())
    }
  },
  {
    name: "Headers.parse",
    run: (bytes) => {
      for (const field of Headers.parse(bytes).fields) void field.decoded
    }
  },
  // Arbitrary bytes as a delivery-status body: the reader must take anything.
  { name: "Dsn.readStatus", run: (bytes) => void Dsn.readStatus(bytes) }
]
