import { assert, describe, it } from "@effect/vitest"
import * as net from "node:net"
import * as BenchMessage from "../src/BenchMessage.ts"
import { CountingSink } from "../src/CountingSink.ts"
import * as LoadGenerator from "../src/LoadGenerator.ts"

const base = {
  host: "127.0.0.1",
  size: 2048,
  from: "bench@client.test",
  to: "rcpt@bench.test",
  readTimeoutMs: 5000,
  deadlineMs: 20_000
}

const withSink = async <A>(f: (sink: CountingSink) => Promise<A>): Promise<A> => {
  const sink = await CountingSink.start({ host: "127.0.0.1", port: 0 })
  try {
    return await f(sink)
  } finally {
    await sink.close()
  }
}

describe("the sink counts exactly what the generator sends", () => {
  const cases = [
    { pipelining: true, newConnectionPerMessage: false },
    { pipelining: true, pipelineAfterData: true, newConnectionPerMessage: false },
    { pipelining: true, pipelineAfterData: true, newConnectionPerMessage: true },
    { pipelining: false, newConnectionPerMessage: false },
    { pipelining: true, newConnectionPerMessage: true },
    { pipelining: false, newConnectionPerMessage: true }
  ]
  for (const mode of cases) {
    it(`3 connections x 7 messages, pipelining ${"pipelineAfterData" in mode ? "full" : mode.pipelining ? "on" : "off"}, ${mode.newConnectionPerMessage ? "new connection per message" : "connections reused"}`, () =>
      withSink(async (sink) => {
        const result = await LoadGenerator.run({ ...base, ...mode, port: sink.port, concurrency: 3, messagesPerConnection: 7 })
        assert.strictEqual(result.planned, 21)
        assert.strictEqual(result.accepted, 21)
        assert.strictEqual(result.rejected + result.failed, 0)
        assert.strictEqual(result.acceptLatenciesMs.length, 21)
        assert.isTrue([...result.acceptLatenciesMs].every((l) => l >= 0 && l < 5000))
        assert.strictEqual(result.connections, mode.newConnectionPerMessage ? 21 : 3)
        assert.strictEqual(sink.connections, mode.newConnectionPerMessage ? 21 : 3)
        assert.isTrue(await sink.waitFor(result.runId, 21, 5000))
        assert.strictEqual(sink.messages, 21)
        const arrivals = sink.arrivals(result.runId)
        assert.strictEqual(arrivals.unique, 21)
        assert.strictEqual(arrivals.duplicates, 0)
        assert.strictEqual(arrivals.latenciesMs.length, 21)
        // Each message is exactly `size` bytes, plus the ".\r\n" terminator the sink also reads.
        assert.strictEqual(sink.bytes, 21 * (base.size + 3))
      }))
  }

  it("counts a large message split over many segments", () =>
    withSink(async (sink) => {
      const result = await LoadGenerator.run({
        ...base,
        port: sink.port,
        size: 1024 * 1024 + 7,
        pipelining: true,
        pipelineAfterData: true,
        newConnectionPerMessage: false,
        concurrency: 2,
        messagesPerConnection: 3
      })
      assert.strictEqual(result.accepted, 6)
      assert.strictEqual(sink.messages, 6)
      assert.strictEqual(sink.bytes, 6 * (1024 * 1024 + 7 + 3))
      assert.strictEqual(sink.arrivals(result.runId).unique, 6)
    }))
})

/** Writes `parts` one at a time with a pause, so the sink sees them as separate segments; returns all replies. */
const talk = (port: number, parts: ReadonlyArray<string>): Promise<string> =>
  new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port })
    socket.setNoDelay(true)
    socket.setTimeout(5000, () => reject(new Error("timeout")))
    let replies = ""
    socket.setEncoding("latin1")
    socket.on("data", (d: string) => {
      replies += d
    })
    socket.on("error", reject)
    socket.on("close", () => resolve(replies))
    let i = 0
    const next = (): void => {
      const part = parts[i++]
      if (part === undefined) return
      socket.write(part)
      setTimeout(next, 20)
    }
    socket.once("data", next) // after the greeting
  })

describe("the sink's state machine", () => {
  it("finds an end of DATA split across segments and reads the bench header", () =>
    withSink(async (sink) => {
      const sent = BenchMessage.nowMicros() - 5000
      const replies = await talk(sink.port, [
        "EHLO x\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n",
        `Received: from somewhere\r\nX-Bench-Id: 0badcafe-0000000042 ${sent}\r\nSubject: hi\r\n\r\nbody\r`,
        "\n.",
        "\r",
        "\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n.\r\nQUIT\r\n"
      ])
      assert.strictEqual(sink.messages, 2)
      const a = sink.arrivals("0badcafe")
      assert.strictEqual(a.unique, 1)
      const latency = a.latenciesMs[0] ?? -1
      assert.isTrue(latency >= 5 && latency < 5000, `latency ${latency}`)
      assert.match(replies, /^220 /)
      assert.match(replies, /250-PIPELINING/)
      assert.strictEqual(replies.match(/^354 /gm)?.length, 2)
      assert.strictEqual(replies.match(/^250 2\.0\.0 Ok: queued/gm)?.length, 2)
      assert.match(replies, /221 2\.0\.0 Bye\r\n$/)
    }))

  it("does not end a message at a dot-stuffed line or a bare-LF dot", () =>
    withSink(async (sink) => {
      await talk(sink.port, ["MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n", "a\r\n..\r\nb\n.\nc\r\n", ".\r\nQUIT\r\n"])
      assert.strictEqual(sink.messages, 1)
    }))
})

describe("BenchMessage", () => {
  it("renders exactly `size` bytes, CRLF lines, and round-trips the stamped header", () => {
    for (const size of [1, 400, 401, 402, 403, 500, 4096, 10_000]) {
      const t = BenchMessage.render({ size, runId: "deadbeef", from: "a@x.test", to: "b@y.test" })
      const text = t.bytes.toString("latin1")
      assert.isTrue(text.endsWith("\r\n.\r\n"))
      assert.isFalse(/[^\r]\n/.test(text), `bare LF at size ${size}`)
      assert.isFalse(/\r\n\.[^\r]/.test(text.slice(0, -3)), "no line may start with a dot")
      if (size >= 600) assert.strictEqual(t.messageSize, size)
      BenchMessage.stamp(t, 1234567, 1_700_000_000_123_456)
      assert.deepStrictEqual(BenchMessage.parseHead(t.bytes.toString("latin1")), {
        id: "deadbeef-0001234567",
        sentMicros: 1_700_000_000_123_456
      })
      assert.include(t.bytes.toString("latin1"), "Message-ID: <deadbeef.0001234567@")
    }
  })
})
