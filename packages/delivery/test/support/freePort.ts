import { Effect } from "effect"
import * as net from "node:net"

/** A loopback port that was free a moment ago: connecting to it is refused. */
export const freePort: Effect.Effect<number> = Effect.callback<number>((resume) => {
  const s = net.createServer()
  s.listen(0, "127.0.0.1", () => {
    const a = s.address()
    const port = typeof a === "object" && a !== null ? a.port : 0
    s.close(() => resume(Effect.succeed(port)))
  })
})
