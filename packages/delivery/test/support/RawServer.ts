/**
 * A tiny hand-written SMTP server for the cases the shared SmtpSink cannot show: what arrives in each TCP packet
 * (PIPELINING observed on the wire), a malicious STARTTLS that appends plaintext to its `220`, a TLS handshake that
 * breaks, a server that hangs up while the client's connection is idle in the pool.
 */
import { Effect, type Scope } from "effect"
import * as net from "node:net"
import * as tls from "node:tls"

export interface RawServerOptions {
  readonly pipelining?: boolean
  /** Offer STARTTLS with these credentials. */
  readonly tls?: { readonly key: string; readonly cert: string }
  /** Written in the same packet as the `220` to STARTTLS (the injection attack). */
  readonly injectAfterStartTls?: string
  /** Answer STARTTLS with 220, then drop the connection instead of a handshake. */
  readonly breakTls?: boolean
  /** Close the connection right after answering the end of DATA (the client's pooled connection dies while idle). */
  readonly closeAfterMessage?: boolean
}

export interface RawServer {
  readonly port: number
  /** Every chunk received, per connection (index = connection number - 1), as latin1 text. */
  readonly chunks: Array<Array<string>>
  /** Every command line received, with a `[tls] ` prefix once the connection is encrypted. */
  readonly lines: Array<string>
  /** Messages received (dot-stuffed, without the final `.CRLF`). */
  readonly messages: Array<string>
}

export const make = (options: RawServerOptions = {}): Effect.Effect<RawServer, never, Scope.Scope> =>
  Effect.gen(function*() {
    const state: RawServer & { port: number } = { port: 0, chunks: [], lines: [], messages: [] }
    const sockets = new Set<net.Socket>()
    const server = yield* Effect.acquireRelease(
      Effect.callback<net.Server>((resume) => {
        const s = net.createServer((socket) => {
          sockets.add(socket)
          socket.setNoDelay(true)
          session(socket, state, options)
        })
        s.listen(0, "127.0.0.1", () => resume(Effect.succeed(s)))
      }),
      (s) => Effect.callback<void>((resume) => {
        for (const sock of sockets) sock.destroy()
        s.close(() => resume(Effect.void))
      })
    )
    const address = server.address()
    state.port = typeof address === "object" && address !== null ? address.port : 0
    return state
  })

const session = (plain: net.Socket, state: RawServer, options: RawServerOptions) => {
  const packets: Array<string> = []
  state.chunks.push(packets)
  let socket: net.Socket = plain
  let secure = false
  let buf = ""
  let inData = false
  const write = (s: string) => socket.write(s)
  const onData = (chunk: Buffer) => {
    const text = chunk.toString("latin1")
    packets.push(text)
    buf += text
    while (true) {
      if (inData) {
        const end = buf.indexOf("\r\n.\r\n")
        if (end < 0) return
        state.messages.push(buf.slice(2, end + 2))
        buf = buf.slice(end + 5)
        inData = false
        write("250 2.0.0 queued\r\n")
        if (options.closeAfterMessage === true) setTimeout(() => socket.destroy(), 10)
        continue
      }
      const nl = buf.indexOf("\r\n")
      if (nl < 0) return
      const line = buf.slice(0, nl)
      buf = buf.slice(nl + 2)
      state.lines.push(secure ? `[tls] ${line}` : line)
      const verb = line.split(" ")[0]?.toUpperCase() ?? ""
      if (verb === "EHLO") {
        const ext = [
          ...(options.pipelining === true ? ["PIPELINING"] : []),
          "8BITMIME",
          ...(options.tls !== undefined && !secure ? ["STARTTLS"] : [])
        ]
        write(["raw.test", ...ext].map((l, i, all) => `250${i === all.length - 1 ? " " : "-"}${l}\r\n`).join(""))
      } else if (verb === "STARTTLS" && options.tls !== undefined) {
        write(`220 2.0.0 go ahead\r\n${options.injectAfterStartTls ?? ""}`)
        if (options.breakTls === true) return void socket.destroy()
        socket.off("data", onData)
        buf = ""
        const t = new tls.TLSSocket(socket, { isServer: true, key: options.tls.key, cert: options.tls.cert })
        t.on("error", () => plain.destroy())
        t.on("data", onData)
        socket = t
        secure = true
        return
      } else if (verb === "DATA") {
        write("354 go\r\n")
        inData = true
        buf = `\r\n${buf}`
      } else if (verb === "QUIT") {
        write("221 2.0.0 bye\r\n")
        socket.end()
      } else {
        write("250 2.0.0 ok\r\n")
      }
    }
  }
  plain.on("data", onData)
  plain.on("error", () => undefined)
  write("220 raw.test ESMTP\r\n")
}
