/**
 * A TCP relay on 127.0.0.1 that forwards to a port and records both directions: what a client sent and what the
 * server answered, as latin1 text. For tests that must see the protocol on the wire (e.g. BDAT between two servers).
 */
import { Effect } from "effect"
import * as net from "node:net"

export interface WireTap {
  /** The port to connect to instead of the target's. */
  readonly port: number
  /** Everything clients sent, in order, over every connection. */
  readonly sent: () => string
  /** Everything the target answered. */
  readonly received: () => string
}

/** Listens on `port` (0: any free port) and forwards to `target`; closed with the scope. */
export const make = (target: number, port = 0) =>
  Effect.acquireRelease(
    Effect.callback<WireTap & { readonly close: () => void }>((resume) => {
      const sent: Array<Buffer> = []
      const received: Array<Buffer> = []
      const sockets = new Set<net.Socket>()
      const front = net.createServer((client) => {
        const back = net.connect(target, "127.0.0.1")
        sockets.add(client).add(back)
        client.on("data", (d: Buffer) => sent.push(d))
        back.on("data", (d: Buffer) => received.push(d))
        client.pipe(back).pipe(client)
        client.on("error", () => back.destroy())
        back.on("error", () => client.destroy())
      })
      front.listen(port, "127.0.0.1", () => {
        const address = front.address()
        resume(Effect.succeed({
          port: typeof address === "object" && address !== null ? address.port : port,
          sent: () => Buffer.concat(sent).toString("latin1"),
          received: () => Buffer.concat(received).toString("latin1"),
          close: () => {
            for (const socket of sockets) socket.destroy()
            front.close()
          }
        }))
      })
    }),
    (tap) => Effect.sync(() => tap.close())
  )
