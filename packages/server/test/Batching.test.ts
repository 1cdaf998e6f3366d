/**
 * Reply batching (`CommandPatch.batchReplies`): the replies to commands pipelined in one packet leave in one socket
 * write, and a STARTTLS in a group still gets its 220 before the TLS handshake.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as net from "node:net"
import { acceptDomain, hooks, recorder, tls, withServer } from "./helpers.ts"
import { Verdict } from "@cartero/smtp"

type WriteFn = (this: net.Socket, ...args: Array<unknown>) => unknown
const proto = net.Socket.prototype as unknown as Record<"_write" | "_writev", WriteFn>

/**
 * Counts the writes the server's end of the connection (the socket whose remote port is `localPort`) hands to the
 * kernel: `_write` (one chunk) and `_writev` (a corked batch) each become one write system call.
 */
const countServerWrites = (localPort: () => number | undefined) => {
  let writes = 0
  const originals = { _write: proto._write, _writev: proto._writev }
  for (const name of ["_write", "_writev"] as const) {
    const original = originals[name]
    proto[name] = function(this: net.Socket, ...args: Array<unknown>) {
      if (this.remotePort !== undefined && this.remotePort === localPort()) writes++
      return original.apply(this, args)
    }
  }
  return {
    writes: () => writes,
    restore: () => {
      proto._write = originals._write
      proto._writev = originals._writev
    }
  }
}

/**
 * Connects, waits for the greeting and the EHLO reply, sends `group` in one write, and collects `replies` lines;
 * counts the server's socket writes for the group.
 */
const pipelined = (port: number, group: string, replies: number) =>
  Effect.callback<{ readonly writes: number; readonly lines: ReadonlyArray<string> }, Error>((resume) => {
    const socket = net.connect({ host: "127.0.0.1", port })
    let counter: ReturnType<typeof countServerWrites> | undefined
    const finish = (effect: Effect.Effect<{ readonly writes: number; readonly lines: ReadonlyArray<string> }, Error>) => {
      clearTimeout(timer)
      counter?.restore()
      socket.destroy()
      resume(effect)
    }
    socket.setNoDelay(true)
    const timer = setTimeout(() => finish(Effect.fail(new Error(`timed out; got ${JSON.stringify(text)}`))), 3000)
    let text = ""
    let stage: "greeting" | "ehlo" | "group" = "greeting"
    socket.on("error", (e) => finish(Effect.fail(e)))
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString("latin1")
      if (stage === "greeting" && text.endsWith("\r\n")) {
        stage = "ehlo"
        text = ""
        socket.write("EHLO client.test\r\n")
      } else if (stage === "ehlo" && /^250 .*\r\n$/m.test(text)) {
        stage = "group"
        text = ""
        counter = countServerWrites(() => socket.localPort)
        socket.write(group)
      } else if (stage === "group") {
        const lines = text.split("\r\n").filter((l) => l !== "")
        if (lines.length >= replies && text.endsWith("\r\n")) finish(Effect.succeed({ writes: counter?.writes() ?? 0, lines }))
      }
    })
  })

describe("reply batching", () => {
  it.live("answers MAIL, RCPT and DATA pipelined in one packet with one write", () =>
    withServer([acceptDomain("example.test"), recorder().plugin], { hostname: "mx.test" }, (server) =>
      Effect.gen(function*() {
        const port = server.address("mx")?.port ?? 0
        for (let i = 0; i < 3; i++) {
          const { lines, writes } = yield* pipelined(
            port,
            "MAIL FROM:<alice@sender.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n",
            3
          )
          assert.deepStrictEqual(lines, ["250 2.1.0 Accepted", "250 2.1.5 Accepted", "354 End data with <CR><LF>.<CR><LF>"])
          assert.strictEqual(writes, 1)
        }
      })))

  it.live("does not hold a reply behind a hook that waits: the earlier replies go first", () =>
    withServer(
      [
        hooks("slow-rcpt", {
          rcptTo: (_txn, rcpt) =>
            Effect.sleep("300 millis").pipe(Effect.as(rcpt.address.domain === "example.test" ? Verdict.accept() : Verdict.next))
        }),
        recorder().plugin
      ],
      { hostname: "mx.test" },
      (server) =>
        Effect.gen(function*() {
          const port = server.address("mx")?.port ?? 0
          const { lines, writes } = yield* pipelined(port, "MAIL FROM:<alice@sender.test>\r\nRCPT TO:<bob@example.test>\r\n", 2)
          assert.deepStrictEqual(lines, ["250 2.1.0 Accepted", "250 2.1.5 Accepted"])
          assert.strictEqual(writes, 2)
        })
    ))

  it.live("flushes before STARTTLS: NOOP and STARTTLS in one packet get 250 then 220 (not held in a corked socket handed to TLS)", () =>
    withServer([acceptDomain("example.test")], { hostname: "mx.test", tls }, (server) =>
      Effect.gen(function*() {
        const port = server.address("mx")?.port ?? 0
        const { lines } = yield* pipelined(port, "NOOP\r\nSTARTTLS\r\n", 2)
        assert.deepStrictEqual(lines.map((l) => l.slice(0, 3)), ["250", "220"])
      })))
})
