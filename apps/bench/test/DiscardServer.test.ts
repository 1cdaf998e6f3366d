import { assert, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import { once } from "node:events"
import { fileURLToPath } from "node:url"
import * as LoadGenerator from "../src/LoadGenerator.ts"

const entry = fileURLToPath(new URL("../src/discard-server.ts", import.meta.url))

describe("discard-server (Cartero's framework, nothing stored)", () => {
  it("accepts every message with its own 250, and stops on SIGTERM", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", entry, "0"], { stdio: ["ignore", "pipe", "pipe"] })
    try {
      let out = ""
      child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")))
      const started = await new Promise<RegExpExecArray | null>((resolve) => {
        const timer = setTimeout(() => resolve(null), 30_000)
        child.stdout.on("data", () => {
          const m = /^pid (\d+) port (\d+)$/m.exec(out)
          if (m !== null) {
            clearTimeout(timer)
            resolve(m)
          }
        })
      })
      assert.isNotNull(started, `no "pid … port …" line: ${out}`)
      const port = Number(started?.[2])
      assert.strictEqual(Number(started?.[1]), child.pid)
      const result = await LoadGenerator.run({
        host: "127.0.0.1",
        port,
        size: 2048,
        from: "bench@client.test",
        to: "rcpt@bench.test",
        readTimeoutMs: 5000,
        deadlineMs: 20_000,
        pipelining: true,
        newConnectionPerMessage: false,
        concurrency: 2,
        messagesPerConnection: 3
      })
      assert.strictEqual(result.accepted, 6)
      assert.strictEqual(result.rejected + result.failed, 0)
      const exited = once(child, "exit")
      child.kill("SIGTERM")
      const [code] = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve([undefined]), 10_000))]) as [unknown]
      // Effect's runMain ends an interrupted program with 130 (128 + SIGINT's number), whatever the signal.
      assert.strictEqual(code, 130)
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL")
    }
  }, 60_000)
})
