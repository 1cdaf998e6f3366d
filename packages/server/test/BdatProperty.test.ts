/**
 * Property: a message sent by BDAT, cut into any chunks (sizes from 0 up, cuts inside CRLF pairs and command-like
 * lines included, each chunk pipelined with the next or sent on its own), is stored exactly as the same message sent
 * by DATA (dot-stuffed): the two transfer modes are interchangeable for the stores.
 */
import { Transcript } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import fc from "fast-check"
import { acceptDomain, clientTls, esc, recorder, withServer } from "./helpers.ts"

const line = fc.oneof(
  fc.string({ unit: fc.constantFrom(..."abcXYZ019 .:-<>@\t"), maxLength: 120 }),
  fc.constantFrom(".", "..", ".\r", "MAIL FROM:<evil@sender.test>", "BDAT 5 LAST", "DATA", "RSET", "")
).map((l) => l.replace(/\r/g, ""))

const messageArb = fc.array(line, { minLength: 0, maxLength: 40 }).map((lines) =>
  `Subject: property\r\nX-Test: yes\r\n\r\n${lines.map((l) => `${l}\r\n`).join("")}`
)

/** Cut points (sorted, may repeat: a repeated cut is an empty chunk) and whether each chunk waits for its reply. */
const plan = (message: string) =>
  fc.record({
    cuts: fc.array(fc.integer({ min: 0, max: message.length }), { maxLength: 8 }).map((c) => [...c].sort((a, b) => a - b)),
    lockStep: fc.boolean(),
    lastEmpty: fc.boolean()
  })

const dotStuff = (message: string) => message.replace(/^\./gm, "..")

const bdatScript = (message: string, cuts: ReadonlyArray<number>, lockStep: boolean, lastEmpty: boolean): string => {
  const bounds = [0, ...cuts, message.length]
  const chunks = bounds.slice(1).map((end, i) => message.slice(bounds[i], end))
  if (lastEmpty) chunks.push("")
  const lines: Array<string> = []
  let pending = ""
  let expected: Array<string> = []
  chunks.forEach((chunk, i) => {
    const last = i === chunks.length - 1
    pending += `BDAT ${chunk.length}${last ? " LAST" : ""}\r\n${chunk}`
    expected.push(last ? "<~ 250 2.6.0 Message queued as" : `<- 250 2.0.0 ${chunk.length} octets received`)
    if (lockStep || last) {
      lines.push(`=> ${esc(pending)}`, ...expected)
      pending = ""
      expected = []
    }
  })
  return lines.join("\n")
}

const opening = `
  <- 220 *
  -> EHLO client.test
  <~ 250 CHUNKING
  -> MAIL FROM:<alice@sender.test>
  <- 250 2.1.0 Accepted
  -> RCPT TO:<bob@example.test>
  <- 250 2.1.5 Accepted`

describe("BDAT and DATA store the same message", () => {
  it.live("for any message and any chunking", () => {
    const rec = recorder()
    return withServer([acceptDomain("example.test"), rec.plugin], { maxConnectionRate: 100_000 }, (server) =>
      Effect.promise(() => {
        const listener = server.address("mx")
        if (listener === undefined) throw new Error("no MX listener")
        const play = (script: string) =>
          Effect.runPromise(Transcript.run({ host: listener.host, port: listener.port, tls: clientTls, timeout: "3 seconds" }, script))
        return fc.assert(
          fc.asyncProperty(messageArb.chain((message) => fc.tuple(fc.constant(message), plan(message))), async ([message, p]) => {
            rec.messages.length = 0
            await play(`${opening}\n=> ${esc(`DATA\r\n${dotStuff(message)}.\r\n`)}\n<- 354 End data with <CR><LF>.<CR><LF>\n<~ 250 2.6.0`)
            await play(`${opening}\n${bdatScript(message, p.cuts, p.lockStep, p.lastEmpty)}`)
            const [byData, byBdat] = rec.messages.map((m) => Buffer.from(m.raw).toString("latin1"))
            assert.strictEqual(byData, message)
            assert.strictEqual(byBdat, byData)
          }),
          { numRuns: 40 }
        )
      }))
  }, 60_000)
})
