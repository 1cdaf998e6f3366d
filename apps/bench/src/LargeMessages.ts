/**
 * Many large messages at once, to measure what they cost the server's memory (`pnpm bench -- large`): `count`
 * connections each send one message of `size` octets, all at the same time, the body written in 64 KiB pieces as
 * fast as the socket takes them (waiting for `drain`, so the client itself never holds more than a piece). Plain
 * Promise code like the generator. Every connection ends with QUIT, or is destroyed at the deadline.
 *
 * @since 0.1.0
 */
import type * as net from "node:net"
import { SmtpClientConnection } from "./SmtpClientConnection.ts"

export interface Options {
  readonly host: string
  readonly port: number
  readonly count: number
  readonly size: number
  readonly to: string
  readonly readTimeoutMs: number
}

export interface Outcome {
  /** Messages answered 250 at the end of DATA. */
  readonly accepted: number
  /** Replies other than 250 (refused or deferred), by their first line. */
  readonly refused: ReadonlyArray<string>
  /** Connections that failed before an answer (reset, timeout). */
  readonly failed: ReadonlyArray<string>
}

const piece = 64 * 1024
const line = `${"x".repeat(76)}\r\n` // 78 octets, a legal body line

/** The 64 KiB body piece written again and again (whole lines, so no line ever exceeds 998 octets). */
const bodyPiece = Buffer.from(line.repeat(Math.floor(piece / line.length)), "latin1")

const write = (socket: net.Socket, data: Buffer | string): Promise<void> =>
  new Promise((resolve) => {
    if (socket.write(data)) resolve()
    else socket.once("drain", () => resolve())
  })

const one = async (o: Options, i: number, sockets: Array<net.Socket>): Promise<{ code: number; text: string }> => {
  const { connection, greeting } = await SmtpClientConnection.open({
    host: o.host,
    port: o.port,
    readTimeoutMs: o.readTimeoutMs,
    onSocket: (s) => sockets.push(s)
  })
  const expect = async (code: number, what: string) => {
    const reply = await connection.read()
    if (reply.code !== code) throw new Error(`${what}: ${reply.code} ${reply.text}`)
  }
  if (greeting.code !== 220) throw new Error(`greeting ${greeting.code}`)
  const socket = connection.socket
  socket.write(`EHLO large${i}.bench.invalid\r\n`)
  await expect(250, "EHLO")
  socket.write(`MAIL FROM:<large${i}@client.bench.invalid> SIZE=${o.size}\r\n`)
  await expect(250, "MAIL")
  socket.write(`RCPT TO:<${o.to}>\r\n`)
  await expect(250, "RCPT")
  socket.write("DATA\r\n")
  await expect(354, "DATA")
  const head = `From: <large${i}@client.bench.invalid>\r\nTo: <${o.to}>\r\nSubject: large ${i}\r\n` +
    `Message-ID: <large${i}.${Date.now()}@client.bench.invalid>\r\n\r\n`
  await write(socket, head)
  let sent = head.length
  while (sent + bodyPiece.length <= o.size - 5) {
    await write(socket, bodyPiece)
    sent += bodyPiece.length
  }
  await write(socket, ".\r\n")
  const reply = await connection.read()
  socket.end("QUIT\r\n")
  return { code: reply.code, text: reply.text }
}

/** Sends the messages, all connections at once; resolves when every one was answered or failed. */
export const run = async (o: Options): Promise<Outcome> => {
  const sockets: Array<net.Socket> = []
  try {
    const results = await Promise.allSettled(Array.from({ length: o.count }, (_, i) => one(o, i, sockets)))
    let accepted = 0
    const refused: Array<string> = []
    const failed: Array<string> = []
    for (const r of results) {
      if (r.status === "rejected") failed.push(r.reason instanceof Error ? r.reason.message : String(r.reason))
      else if (r.value.code === 250) accepted++
      else refused.push(`${r.value.code} ${r.value.text.split("\n")[0] ?? ""}`)
    }
    return { accepted, refused, failed }
  } finally {
    for (const s of sockets) s.destroy()
  }
}
