/**
 * A loopback port nothing listens on (yet): for a server that must know its port before it starts (Bob's MX in the
 * two-server scenarios, which Alice's server is configured to deliver to).
 */
import { Effect } from "effect"
import * as net from "node:net"

export const freePort: Effect.Effect<number> = Effect.promise(() =>
  new Promise<number>((resolve, reject) => {
    const s = net.createServer()
    s.once("error", reject)
    s.listen(0, "127.0.0.1", () => {
      const address = s.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      s.close(() => resolve(port))
    })
  })
)
