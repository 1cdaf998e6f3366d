/**
 * A scripted SMTP server for tests: answers each command line in order with a reply chosen by a function, so a
 * test can make a server refuse RCPT, fail the end of DATA, or never answer. Loopback, port 0.
 */
import * as net from "node:net"

export type Stage = "greeting" | "EHLO" | "MAIL" | "RCPT" | "DATA" | "end of DATA" | "RSET" | "QUIT" | "other"

export interface Scripted {
  readonly port: number
  /** Stages seen, in order, across all connections. */
  readonly seen: Array<Stage>
  readonly close: () => Promise<void>
}

/** `reply` returns the reply line(s) without CRLF, or `undefined` to stay silent. */
export const start = (reply: (stage: Stage, n: number) => string | undefined): Promise<Scripted> => {
  const seen: Array<Stage> = []
  const counts = new Map<Stage, number>()
  const sockets = new Set<net.Socket>()
  const answer = (socket: net.Socket, stage: Stage): string | undefined => {
    seen.push(stage)
    const n = (counts.get(stage) ?? 0) + 1
    counts.set(stage, n)
    const r = reply(stage, n)
    if (r !== undefined) socket.write(`${r}\r\n`)
    if (stage === "QUIT") socket.end()
    return r
  }
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
    socket.on("error", () => socket.destroy())
    let buffer = ""
    let inData = false
    socket.setEncoding("latin1")
    socket.on("data", (chunk: string) => {
      buffer += chunk
      for (;;) {
        const nl = buffer.indexOf("\r\n")
        if (nl < 0) break
        const line = buffer.slice(0, nl)
        buffer = buffer.slice(nl + 2)
        if (inData) {
          if (line === ".") {
            inData = false
            answer(socket, "end of DATA")
          }
          continue
        }
        const verb = line.slice(0, 4).toUpperCase()
        const stage: Stage = verb === "EHLO" ? "EHLO"
          : verb === "MAIL" ? "MAIL"
          : verb === "RCPT" ? "RCPT"
          : verb === "DATA" ? "DATA"
          : verb === "RSET" ? "RSET"
          : verb === "QUIT" ? "QUIT"
          : "other"
        const r = answer(socket, stage)
        if (stage === "DATA" && r?.startsWith("354") === true) inData = true
      }
    })
    answer(socket, "greeting")
  })
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const a = server.address()
      resolve({
        port: typeof a === "object" && a !== null ? a.port : 0,
        seen,
        close: () => {
          for (const s of sockets) s.destroy()
          return new Promise((r) => server.close(() => r()))
        }
      })
    })
  })
}

/** Replies of a well-behaved server with PIPELINING. */
export const ok = (stage: Stage): string | undefined => {
  switch (stage) {
    case "greeting":
      return "220 scripted ESMTP"
    case "EHLO":
      return "250-scripted\r\n250-PIPELINING\r\n250 8BITMIME"
    case "DATA":
      return "354 go ahead"
    case "QUIT":
      return "221 bye"
    default:
      return "250 ok"
  }
}
