/**
 * One fuzzing exchange with a real server, and the check of what came back. Shared by the property test
 * (test/Fuzz.test.ts, bounded) and the long fuzz run (`pnpm --filter @cartero/server fuzz`).
 *
 * The client waits for the banner, sends the payload (in the given pieces, pipelined), then a way out that works
 * from any state: CRLF `.` CRLF ends a DATA phase or is one more bad line, `QUIT` ends the session. The server must
 * then close the connection within the timeout, and every line it sent must be a well-formed reply line
 * (RFC 5321 §4.2: three digits 2yz–5yz, a space or a hyphen, printable ASCII). A refused connection (`421`) and a
 * dropped one (the error limit) are fine; a hang, a malformed line, a crash are not.
 *
 * Plain Promise code over `node:net`: the fuzzer must see the bytes exactly as they were sent and received.
 *
 * @since 0.1.0
 */
import * as net from "node:net"

/** Where the server listens. */
export interface Target {
  readonly host: string
  readonly port: number
  /** The local address to connect from. */
  readonly localAddress?: string
}

/** What one exchange gave. */
export interface Exchange {
  /** Everything the server sent, as latin1 text (one character per octet). */
  readonly received: string
  /** Why the exchange is a failure, if it is one. */
  readonly problem: string | undefined
}

/** A well-formed reply line (without its CRLF). */
const replyLine = /^[2-5]\d\d(?:[ -][\x20-\x7e]*)?$/

/**
 * The way out appended to every payload. The line of 16 spaces completes a BDAT chunk in progress (the corpus's
 * `BDAT 10 LAST`, or one a few edits made a little larger) and is one more unknown command otherwise; a chunk the
 * edits made much larger ends with the DATA time bound of the fuzzed server (`FuzzServer`).
 */
export const exit = Buffer.from(`\r\n.\r\n${" ".repeat(16)}\r\nQUIT\r\n`, "latin1")

/** Checks what the server sent: complete lines, each a well-formed reply line; the first one a 220 or a 421. */
export const check = (received: string): string | undefined => {
  if (received === "") return "the server closed without a banner"
  if (!received.endsWith("\r\n")) return `the last line is incomplete: ${JSON.stringify(received.slice(-80))}`
  const lines = received.slice(0, -2).split("\r\n")
  const bad = lines.find((l) => !replyLine.test(l))
  if (bad !== undefined) return `malformed reply line ${JSON.stringify(bad)}`
  const first = lines[0] ?? ""
  if (!first.startsWith("220") && !first.startsWith("421")) return `the first line is not a banner: ${JSON.stringify(first)}`
  return undefined
}

/**
 * Connects, waits for the banner, sends `pieces` one after the other (each in its own write, pipelined) and then
 * {@link exit}, and collects the replies until the server closes (or `timeoutMillis` passes: a problem).
 */
export const exchange = (target: Target, pieces: ReadonlyArray<Uint8Array>, timeoutMillis: number): Promise<Exchange> =>
  new Promise((resolve) => {
    const chunks: Array<Buffer> = []
    let sent = false
    let settled = false
    const socket = net.connect({
      host: target.host,
      port: target.port,
      ...(target.localAddress !== undefined ? { localAddress: target.localAddress } : {})
    })
    const finish = (problem: string | undefined) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      const received = Buffer.concat(chunks).toString("latin1")
      resolve({ received, problem: problem ?? check(received) })
    }
    const timer = setTimeout(
      () => finish(`no close within ${timeoutMillis} ms (the server hangs, or waits for more than the way out)`),
      timeoutMillis
    )
    socket.setNoDelay(true)
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk)
      if (!sent && Buffer.concat(chunks).includes("\r\n")) {
        sent = true
        for (const piece of pieces) socket.write(piece)
        socket.write(exit)
      }
    })
    // The server may close while we still write (QUIT in the payload, a 421): not a problem in itself.
    socket.on("error", () => undefined)
    socket.on("close", () => finish(undefined))
  })

/** Whether the server still serves a new, well-behaved client: banner, EHLO, QUIT. */
export const healthy = (target: Target, timeoutMillis: number): Promise<string | undefined> =>
  exchange(target, [Buffer.from("EHLO healthy.test\r\n", "latin1")], timeoutMillis).then(({ problem, received }) => {
    if (problem !== undefined) return `a fresh client: ${problem}`
    if (!/^220 /.test(received)) return `a fresh client was not greeted: ${JSON.stringify(received.slice(0, 80))}`
    if (!/\r\n250 [^\r\n]*\r\n/.test(received)) return `a fresh client got no EHLO reply: ${JSON.stringify(received)}`
    if (!/\r\n221 [^\r\n]*\r\n$/.test(received)) return `a fresh client got no 221: ${JSON.stringify(received.slice(-80))}`
    return undefined
  })
