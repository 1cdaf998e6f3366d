import { assert, describe, it } from "@effect/vitest"
import * as LoadGenerator from "../src/LoadGenerator.ts"
import * as ScriptedServer from "./ScriptedServer.ts"

const base = {
  host: "127.0.0.1",
  size: 1024,
  from: "bench@client.test",
  to: "rcpt@bench.test",
  concurrency: 2,
  messagesPerConnection: 3,
  newConnectionPerMessage: false,
  readTimeoutMs: 2000,
  deadlineMs: 10_000
}

const withServer = async <A>(
  reply: (stage: ScriptedServer.Stage, n: number) => string | undefined,
  f: (s: ScriptedServer.Scripted) => Promise<A>
): Promise<A> => {
  const s = await ScriptedServer.start(reply)
  try {
    return await f(s)
  } finally {
    await s.close()
  }
}

describe("the generator reports 4xx/5xx replies as errors, not successes", () => {
  for (const [pipelining, pipelineAfterData] of [[true, true], [true, false], [false, false]] as const) {
    const mode = pipelineAfterData ? "full pipelining" : pipelining ? "pipelining" : "lock-step"
    it(`550 to RCPT (${mode})`, () =>
      withServer((stage) => (stage === "RCPT" ? "550 5.1.1 no such user" : stage === "DATA" ? "554 5.5.1 no valid recipients" : ScriptedServer.ok(stage)), async (s) => {
        const r = await LoadGenerator.run({ ...base, pipelining, pipelineAfterData, port: s.port })
        assert.strictEqual(r.accepted, 0)
        assert.strictEqual(r.rejected, 6)
        assert.strictEqual(r.failed, 0)
        assert.deepStrictEqual(r.errors, { "550 RCPT": 6 })
        assert.strictEqual(r.acceptLatenciesMs.length, 0)
        assert.include(r.errorSamples[0] ?? "", "no such user")
        // The transaction is reset after a refusal, and no message body was sent.
        assert.isTrue(s.seen.includes("RSET"))
        assert.isFalse(s.seen.includes("end of DATA"))
      }))

    it(`451 at the end of DATA (${mode})`, () =>
      withServer((stage, n) => (stage === "end of DATA" && n % 2 === 1 ? "451 4.3.0 try later" : ScriptedServer.ok(stage)), async (s) => {
        const r = await LoadGenerator.run({ ...base, pipelining, pipelineAfterData, port: s.port })
        assert.strictEqual(r.accepted + r.rejected, 6)
        assert.strictEqual(r.rejected, 3)
        assert.deepStrictEqual(r.errors, { "451 end of DATA": 3 })
        assert.strictEqual(r.acceptLatenciesMs.length, 3)
      }))
  }

  it("a 354 after a refused RCPT is ended with an empty message, not counted as accepted", () =>
    withServer((stage) => (stage === "RCPT" ? "450 4.2.0 mailbox busy" : ScriptedServer.ok(stage)), async (s) => {
      const r = await LoadGenerator.run({ ...base, pipelining: true, port: s.port })
      assert.strictEqual(r.accepted, 0)
      assert.deepStrictEqual(r.errors, { "450 RCPT": 6 })
      assert.strictEqual(s.seen.filter((x) => x === "end of DATA").length, 6)
    }))

  it("a 554 greeting is an error, and a dead server is given up on", () =>
    withServer((stage) => (stage === "greeting" ? "554 go away" : ScriptedServer.ok(stage)), async (s) => {
      const r = await LoadGenerator.run({ ...base, pipelining: true, port: s.port })
      assert.strictEqual(r.accepted, 0)
      assert.strictEqual(r.rejected + r.failed, 6)
      assert.strictEqual(r.errors["554 greeting"], 6)
    }))

  it("uses lock-step when the server does not offer PIPELINING, and says so", () =>
    withServer((stage) => (stage === "EHLO" ? "250 plain" : ScriptedServer.ok(stage)), async (s) => {
      const r = await LoadGenerator.run({ ...base, pipelining: true, port: s.port })
      assert.strictEqual(r.accepted, 6)
      assert.isFalse(r.pipeliningHonoured)
    }))
})

describe("the generator is bounded", () => {
  it("a server that never replies costs one read timeout, then the deadline ends the run", () =>
    withServer((stage) => (stage === "greeting" || stage === "EHLO" ? ScriptedServer.ok(stage) : undefined), async (s) => {
      const started = Date.now()
      const r = await LoadGenerator.run({ ...base, pipelining: true, port: s.port, readTimeoutMs: 300, deadlineMs: 1500 })
      assert.isBelow(Date.now() - started, 5000)
      assert.strictEqual(r.accepted, 0)
      assert.strictEqual(r.failed, 6)
      assert.isTrue((r.errors["timeout"] ?? 0) > 0)
    }))

  it("a refused port fails fast without a connect per message", async () => {
    const s = await ScriptedServer.start(ScriptedServer.ok)
    const port = s.port
    await s.close()
    const r = await LoadGenerator.run({ ...base, pipelining: true, port, messagesPerConnection: 1000 })
    assert.strictEqual(r.failed, 2000)
    assert.strictEqual(r.errors["ECONNREFUSED"], 6)
    assert.strictEqual(r.errors["abandoned"], 1994)
  })
})
