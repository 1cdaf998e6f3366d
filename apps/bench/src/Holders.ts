/**
 * Connections held open beside a run, to measure what they cost the server (memory, accept latency): `--hold N`
 * opens N connections (greeting, EHLO) and leaves them idle; with `--slow-data S` each then sends MAIL, RCPT and
 * DATA and dribbles a 4 KiB body, one line at a time, spread over S seconds (a slow sender), ending with `.` and
 * QUIT if the run lasts that long. Plain Promise code like the generator; connects in batches of 100 so the
 * server's accept queue is not the thing measured. Everything is closed by `close()`.
 *
 * @since 0.1.0
 */
import type * as net from "node:net"
import { SmtpClientConnection } from "./SmtpClientConnection.ts"

export interface Options {
  readonly host: string
  readonly port: number
  readonly count: number
  /** 0: idle after EHLO; otherwise the DATA of each connection is spread over this many seconds. */
  readonly slowDataSeconds: number
  readonly readTimeoutMs: number
  readonly to: string
}

export interface Holding {
  /** Connections that got through EHLO (and, for slow senders, to the 354). */
  readonly established: number
  readonly failed: number
  readonly close: () => void
}

const lines = 64
const line = `${"x".repeat(62)}\r\n` // 64 octets: 64 lines = 4 KiB of body

export const start = async (o: Options): Promise<Holding> => {
  const sockets: Array<net.Socket> = []
  const timers: Array<ReturnType<typeof setTimeout>> = []
  let established = 0
  let failed = 0
  let closed = false
  const one = async (i: number): Promise<void> => {
    try {
      const { connection, greeting } = await SmtpClientConnection.open({
        host: o.host,
        port: o.port,
        readTimeoutMs: o.readTimeoutMs,
        onSocket: (s) => sockets.push(s)
      })
      if (greeting.code !== 220) throw new Error(`greeting ${greeting.code}`)
      connection.socket.write(`EHLO holder${i}.bench.invalid\r\n`)
      if ((await connection.read()).code !== 250) throw new Error("EHLO refused")
      if (o.slowDataSeconds > 0) {
        connection.socket.write(`MAIL FROM:<slow${i}@client.bench.invalid>\r\n`)
        if ((await connection.read()).code !== 250) throw new Error("MAIL refused")
        connection.socket.write(`RCPT TO:<${o.to}>\r\n`)
        if ((await connection.read()).code !== 250) throw new Error("RCPT refused")
        connection.socket.write("DATA\r\n")
        if ((await connection.read()).code !== 354) throw new Error("DATA refused")
        connection.socket.write(`Subject: slow sender ${i}\r\n\r\n`)
        const every = (o.slowDataSeconds * 1000) / lines
        let sent = 0
        const tick = (): void => {
          if (closed || connection.dead) return
          if (sent++ < lines) {
            connection.socket.write(line)
            timers.push(setTimeout(tick, every))
          } else {
            connection.socket.write(".\r\nQUIT\r\n")
          }
        }
        timers.push(setTimeout(tick, every * Math.random()))
      }
      // Held on purpose: no idle timeout on our side (the server's own timeout still applies).
      connection.socket.setTimeout(0)
      established++
    } catch {
      failed++
    }
  }
  // Bounded: `count` connections, 100 at a time.
  for (let at = 0; at < o.count; at += 100) {
    await Promise.all(Array.from({ length: Math.min(100, o.count - at) }, (_, k) => one(at + k)))
  }
  return {
    established,
    failed,
    close: () => {
      closed = true
      for (const t of timers) clearTimeout(t)
      for (const s of sockets) s.destroy()
    }
  }
}
