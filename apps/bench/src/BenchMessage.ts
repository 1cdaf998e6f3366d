/**
 * The benchmark message: built once per size as bytes, then patched in place per message.
 *
 * Formatting a 4 KiB message for every send would cost more CPU than the SMTP exchange itself and would make the
 * load generator, not the server, the bottleneck. So the message is rendered once with fixed-width placeholders
 * for the unique id (in `Message-ID` and `X-Bench-Id`) and the send timestamp (in `X-Bench-Id`), and each send
 * only overwrites those few bytes.
 *
 * The `X-Bench-Id` header is the contract with the counting sink: `X-Bench-Id: <run>-<seq> <sentMicros>`, where
 * `run` is 8 hex digits, `seq` 10 decimal digits and `sentMicros` the wall-clock send time in microseconds since
 * the epoch (16 decimal digits), so the sink, possibly in another process, can compute end-to-end latency.
 *
 * @since 0.1.0
 */
import { randomBytes } from "node:crypto"

/** Header name the sink looks for. */
export const headerName = "X-Bench-Id"

/** Width of the sequence number field. */
const seqWidth = 10
/** Width of the timestamp field (microseconds since the epoch fit in 16 digits until the year 2286). */
const timeWidth = 16

/** A rendered message and where its variable fields live. */
export interface Template {
  /** `DATA` payload including the terminating `.\r\n`. One copy per connection: patched before each send. */
  readonly bytes: Buffer
  /** Size of the message proper (without the terminating `.\r\n`). */
  readonly messageSize: number
  readonly seqOffsets: ReadonlyArray<number>
  readonly timeOffset: number
}

/** A random run id (8 hex digits), so ids from different runs never collide at a long-lived sink. */
export const makeRunId = (): string => randomBytes(4).toString("hex")

/** Wall-clock time in microseconds: `performance` is monotonic within a process, `timeOrigin` anchors it. */
export const nowMicros = (): number => Math.round((performance.timeOrigin + performance.now()) * 1000)

const line = "The quick brown fox jumps over the lazy dog; Cartero counts every one of them. 0123456789\r\n"

/**
 * Renders a message of `size` bytes (or the header size, when `size` is smaller). Body lines never start with a
 * dot, so no dot-stuffing is needed and the bytes on the wire are the message.
 */
export const render = (options: {
  readonly size: number
  readonly runId: string
  readonly from: string
  readonly to: string
}): Template => {
  const seq = "0".repeat(seqWidth)
  const time = "0".repeat(timeWidth)
  const headerParts = [
    `From: Cartero bench <${options.from}>\r\n`,
    `To: <${options.to}>\r\n`,
    `Subject: cartero bench ${options.runId}\r\n`,
    `Date: ${new Date().toUTCString().replace("GMT", "+0000")}\r\n`,
    `Message-ID: <${options.runId}.`,
    `${seq}@bench.cartero.invalid>\r\n`,
    `${headerName}: ${options.runId}-`,
    `${seq} `,
    `${time}\r\n`,
    "MIME-Version: 1.0\r\n",
    "Content-Type: text/plain; charset=us-ascii\r\n",
    "\r\n"
  ]
  // Offsets of the fields, measured on the concatenated ASCII header.
  const seqOffsets: Array<number> = []
  let timeOffset = 0
  let pos = 0
  headerParts.forEach((part, i) => {
    if (i === 5 || i === 7) seqOffsets.push(pos)
    if (i === 8) timeOffset = pos
    pos += part.length
  })
  const header = headerParts.join("")
  const bodySize = Math.max(0, options.size - header.length)
  const lines: Array<string> = []
  let remaining = bodySize
  // Every body line ends in CRLF (no bare LF ever reaches the server); the last lines are sized to hit `size`.
  while (remaining >= 3) {
    let take = line.length
    if (remaining < line.length) take = remaining
    else if (remaining < line.length + 3 && remaining !== line.length) take = remaining - 3
    lines.push(take === line.length ? line : line.slice(0, take - 2) + "\r\n")
    remaining -= take
  }
  if (remaining === 2) lines.push("\r\n")
  const body = lines.join("")
  const message = header + body
  const bytes = Buffer.from(message + ".\r\n", "latin1")
  return { bytes, messageSize: message.length, seqOffsets, timeOffset }
}

/**
 * Signs a rendered message: returns the header field(s) to put on top of it (each ending in CRLF), e.g. a
 * `DKIM-Signature:` field. The fields stamped per send (`Message-ID`, `X-Bench-Id`) must not be signed.
 */
export type Sign = (message: string) => Promise<string>

/**
 * {@link render}, with the fields `sign` returns on top, still `size` bytes in all: the body is shortened by the
 * signature's length. A signature's length does not depend on the body (its `bh=` and `b=` are fixed-width), so
 * a second pass at the shorter size lands on `size`; a third covers a field folded differently. The offsets of the
 * stamped fields move down by the signature's length; the stamped fields are not signed, so stamping keeps the
 * signature valid.
 */
export const renderSigned = async (
  options: Parameters<typeof render>[0] & { readonly sign: Sign }
): Promise<Template> => {
  const signedAt = async (size: number): Promise<Template> => {
    const plain = render({ ...options, size })
    const fields = await options.sign(plain.bytes.subarray(0, plain.messageSize).toString("latin1"))
    return {
      bytes: Buffer.concat([Buffer.from(fields, "latin1"), plain.bytes]),
      messageSize: fields.length + plain.messageSize,
      seqOffsets: plain.seqOffsets.map((offset) => offset + fields.length),
      timeOffset: plain.timeOffset + fields.length
    }
  }
  let size = options.size
  let signed = await signedAt(size)
  // Bounded: at most two more passes (see above). A size below the header's cannot be met; the header is sent.
  for (let pass = 0; pass < 2 && signed.messageSize !== options.size; pass++) {
    size = Math.max(1, size - (signed.messageSize - options.size))
    signed = await signedAt(size)
  }
  return signed
}

/** Stamps sequence number and send time into `template.bytes`. Only call when the previous send is acknowledged. */
export const stamp = (template: Template, seq: number, sentMicros: number): void => {
  const s = String(seq).padStart(seqWidth, "0")
  for (const offset of template.seqOffsets) template.bytes.write(s, offset, "latin1")
  template.bytes.write(String(sentMicros).padStart(timeWidth, "0"), template.timeOffset, "latin1")
}

/** A parsed `X-Bench-Id` value. */
export interface BenchId {
  readonly id: string
  readonly sentMicros: number
}

const headerPattern = /^x-bench-id:[ \t]*([0-9a-f]{8}-\d{10})[ \t]+(\d{1,16})/im

/** Finds the `X-Bench-Id` header in a message head (the sink's side of the contract). */
export const parseHead = (head: string): BenchId | undefined => {
  const m = headerPattern.exec(head)
  if (m === null || m[1] === undefined || m[2] === undefined) return undefined
  return { id: m[1], sentMicros: Number(m[2]) }
}
