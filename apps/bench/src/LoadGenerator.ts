/**
 * The load generator: N concurrent connections, M messages each, against any SMTP server.
 *
 * Optimised for throughput, so that the server under test is the bottleneck: raw `node:net` with TCP_NODELAY,
 * message bytes rendered once per connection and patched per message ({@link BenchMessage}), MAIL/RCPT/DATA sent
 * in one write when pipelining is on (optionally the next envelope, or QUIT, sent with the end of the previous
 * message, as RFC 2920 allows), and one connection reused for all of a worker's messages unless
 * `newConnectionPerMessage`.
 *
 * The hot loop is callback/Promise code rather than Effect: see {@link SmtpClientConnection} for why. The run is
 * bounded: every read has the socket idle timeout, and a global deadline kills all connections.
 *
 * Accept latency is measured per message from the moment the final "." left for the kernel (the write callback,
 * or the write call if the reply is read first) to the moment the reply to the end of DATA is read.
 *
 * @since 0.1.0
 */
import * as BenchMessage from "./BenchMessage.ts"
import { ConnectionError, type Reply, SmtpClientConnection } from "./SmtpClientConnection.ts"

export interface Options {
  readonly host: string
  readonly port: number
  readonly concurrency: number
  /** Messages per connection worker; the run sends `concurrency × messagesPerConnection` in all. */
  readonly messagesPerConnection: number
  /** Message size in bytes (headers included, the terminating "." excluded). */
  readonly size: number
  readonly pipelining: boolean
  /**
   * With pipelining, also send the next envelope (or QUIT) right behind the end of DATA. RFC 2920 allows it
   * (message content may start a group), but some servers refuse it (Haraka: "503 pipelined after end of DATA").
   */
  readonly pipelineAfterData?: boolean
  readonly newConnectionPerMessage: boolean
  readonly from: string
  readonly to: string
  /** Bound on each read (connect, greeting, every reply). */
  readonly readTimeoutMs: number
  /** Bound on the whole run; unfinished messages count as failed. */
  readonly deadlineMs: number
  readonly runId?: string
  readonly ehlo?: string
  /** Signs the message once per run, before the clock starts (e.g. DKIM for the inbound MX recipes). */
  readonly sign?: BenchMessage.Sign
  /** Aborting stops the run like the deadline does (Ctrl-C, Effect interruption). */
  readonly signal?: AbortSignal
}

export interface Result {
  readonly runId: string
  /** `concurrency × messagesPerConnection`. */
  readonly planned: number
  /** Replied 2xx to the end of DATA. */
  readonly accepted: number
  /** Refused with a 4xx/5xx reply at MAIL, RCPT, DATA or end of DATA. */
  readonly rejected: number
  /** Lost to a connection failure, a timeout or the deadline (including never attempted). */
  readonly failed: number
  /** Accept latency of each accepted message, in ms, in completion order. */
  readonly acceptLatenciesMs: Float64Array
  readonly elapsedMs: number
  readonly connections: number
  readonly deadlineHit: boolean
  /** `false` when pipelining was asked for but the server did not advertise PIPELINING (lock-step was used). */
  readonly pipeliningHonoured: boolean
  /** Error counts by kind: `"550 RCPT"`, `"timeout"`, `"ECONNREFUSED"`… */
  readonly errors: Readonly<Record<string, number>>
  /** The first few error replies, verbatim, for the report. */
  readonly errorSamples: ReadonlyArray<string>
}

type Outcome = "accepted" | "rejected" | "failed"

const isPositive = (r: Reply): boolean => r.code >= 200 && r.code < 300

/** Runs the load and resolves when every message has an outcome or the deadline passed. Never rejects. */
export const run = async (options: Options): Promise<Result> => {
  const runId = options.runId ?? BenchMessage.makeRunId()
  const planned = options.concurrency * options.messagesPerConnection
  const message = { size: options.size, runId, from: options.from, to: options.to }
  const base = options.sign === undefined
    ? BenchMessage.render(message)
    : await BenchMessage.renderSigned({ ...message, sign: options.sign })
  const ehlo = Buffer.from(`EHLO ${options.ehlo ?? "localhost"}\r\n`, "latin1")
  const mail = Buffer.from(`MAIL FROM:<${options.from}>\r\n`, "latin1")
  const rcpt = Buffer.from(`RCPT TO:<${options.to}>\r\n`, "latin1")
  const data = Buffer.from("DATA\r\n", "latin1")
  const envelope = Buffer.concat([mail, rcpt, data])
  const rset = Buffer.from("RSET\r\n", "latin1")
  const quit = Buffer.from("QUIT\r\n", "latin1")
  const endOnly = Buffer.from(".\r\n", "latin1")

  const latencies = new Float64Array(planned)
  let accepted = 0
  let rejected = 0
  let failed = 0
  let connections = 0
  let seq = 0
  let stopped = false
  let stopReason: string | undefined = undefined
  let deadlineHit = false
  let pipeliningHonoured = true
  const errors: Record<string, number> = {}
  const errorSamples: Array<string> = []
  const live = new Set<SmtpClientConnection>()
  const afterData = options.pipelineAfterData ?? false

  const noteError = (kind: string, sample: string): void => {
    const seen = errors[kind]
    errors[kind] = (seen ?? 0) + 1
    // One sample per kind of error, a few kinds: a dead server must not print a line per message.
    if (seen === undefined && errorSamples.length < 5) errorSamples.push(sample)
  }
  const reject = (stage: string, reply: Reply): "rejected" => {
    rejected++
    noteError(`${reply.code} ${stage}`, `${stage}: ${reply.code} ${reply.text}`)
    return "rejected"
  }
  const fail = (error: unknown): "failed" => {
    failed++
    if (error instanceof ConnectionError) noteError(error.reason, `${error.reason}: ${error.message}`)
    else noteError("error", String(error))
    return "failed"
  }

  /** Sends one message on `c`. With pipelining, the envelope may already be on the wire (`envelopeSent`). */
  const sendOne = async (
    c: SmtpClientConnection,
    pipelined: boolean,
    last: boolean,
    template: BenchMessage.Template
  ): Promise<Outcome> => {
    try {
      if (pipelined) {
        if (c.ahead !== "envelope") c.socket.write(envelope)
        c.ahead = "nothing"
        const m = await c.read()
        const r = await c.read()
        const d = await c.read()
        if (!isPositive(m) || !isPositive(r) || d.code !== 354) {
          // A server may still answer 354 after a refused RCPT; end that empty message before resetting.
          if (d.code === 354) {
            c.socket.write(endOnly)
            await c.read()
          }
          c.socket.write(rset)
          await c.read()
          return reject(!isPositive(m) ? "MAIL" : !isPositive(r) ? "RCPT" : "DATA", !isPositive(m) ? m : !isPositive(r) ? r : d)
        }
      } else {
        c.socket.write(mail)
        const m = await c.read()
        if (!isPositive(m)) return await resetAfter(c, "MAIL", m)
        c.socket.write(rcpt)
        const r = await c.read()
        if (!isPositive(r)) return await resetAfter(c, "RCPT", r)
        c.socket.write(data)
        const d = await c.read()
        if (d.code !== 354) return await resetAfter(c, "DATA", d)
      }
      const id = seq++
      BenchMessage.stamp(template, id, BenchMessage.nowMicros())
      c.awaitingDataReply = true
      c.flushedAt = 0
      const socket = c.socket
      socket.cork()
      // With "full" pipelining the next envelope (or QUIT) rides with the end of this message: one write.
      if (pipelined && afterData) {
        socket.write(template.bytes)
        socket.write(last ? quit : envelope, c.onFlushed)
        c.ahead = last ? "quit" : "envelope"
      } else {
        socket.write(template.bytes, c.onFlushed)
      }
      const sentAt = performance.now()
      socket.uncork()
      const reply = await c.read()
      const t1 = performance.now()
      if (!isPositive(reply)) return reject("end of DATA", reply)
      const t0 = c.flushedAt > 0 && c.flushedAt <= t1 ? Math.max(sentAt, c.flushedAt) : sentAt
      latencies[accepted++] = t1 - t0
      return "accepted"
    } catch (e) {
      return fail(e)
    }
  }

  const resetAfter = async (c: SmtpClientConnection, stage: string, reply: Reply): Promise<"rejected"> => {
    c.socket.write(rset)
    await c.read()
    return reject(stage, reply)
  }

  const worker = async (): Promise<void> => {
    const template: BenchMessage.Template = { ...base, bytes: Buffer.from(base.bytes) }
    let done = 0
    let connectFailures = 0
    while (done < options.messagesPerConnection && !stopped) {
      let c: SmtpClientConnection
      try {
        const opened = await SmtpClientConnection.open({
          host: options.host,
          port: options.port,
          readTimeoutMs: options.readTimeoutMs
        })
        c = opened.connection
        live.add(c)
        connections++
        if (!isPositive(opened.greeting)) {
          c.destroy()
          live.delete(c)
          done++
          reject("greeting", opened.greeting)
          if (++connectFailures >= 3) break
          continue
        }
      } catch (e) {
        done++
        fail(e)
        // A dead server would otherwise cost one connect per planned message.
        if (++connectFailures >= 3) break
        continue
      }
      let pipelined = false
      try {
        c.socket.write(ehlo)
        const hello = await c.read()
        if (!isPositive(hello)) {
          reject("EHLO", hello)
          done++
          c.destroy()
          live.delete(c)
          continue
        }
        pipelined = options.pipelining && /(^|\n)PIPELINING\b/i.test(hello.text)
        if (options.pipelining && !pipelined) pipeliningHonoured = false
      } catch (e) {
        done++
        fail(e)
        live.delete(c)
        if (++connectFailures >= 3) break
        continue
      }
      connectFailures = 0
      const quota = options.newConnectionPerMessage ? 1 : options.messagesPerConnection - done
      for (let i = 0; i < quota && !stopped; i++) {
        const outcome = await sendOne(c, pipelined, i === quota - 1, template)
        done++
        if (outcome === "failed" || c.dead) break
      }
      // An envelope pipelined ahead (we stopped early) would answer our QUIT out of order: just close.
      if (!c.dead && c.ahead !== "envelope") {
        try {
          if (c.ahead !== "quit") c.socket.write(quit)
          await c.read()
        } catch {
          // The QUIT reply is a courtesy; a server that just closes is fine.
        }
      }
      c.destroy()
      live.delete(c)
    }
    // Messages this worker never got to (deadline, dead server) are failures too.
    const left = options.messagesPerConnection - done
    if (left > 0) {
      failed += left
      const kind = stopReason ?? "abandoned"
      errors[kind] = (errors[kind] ?? 0) + left
    }
  }

  const started = performance.now()
  const halt = (reason: string): void => {
    stopped = true
    stopReason ??= reason
    for (const c of live) c.kill(reason, `run stopped: ${reason}`)
  }
  const deadline = setTimeout(() => {
    deadlineHit = true
    halt("deadline")
  }, options.deadlineMs)
  const onAbort = (): void => halt("aborted")
  options.signal?.addEventListener("abort", onAbort)
  if (options.signal?.aborted === true) halt("aborted")
  try {
    await Promise.all(Array.from({ length: options.concurrency }, () => worker()))
  } finally {
    clearTimeout(deadline)
    options.signal?.removeEventListener("abort", onAbort)
  }
  const elapsedMs = performance.now() - started
  return {
    runId,
    planned,
    accepted,
    rejected,
    failed,
    acceptLatenciesMs: latencies.subarray(0, accepted),
    elapsedMs,
    connections,
    deadlineHit,
    pipeliningHonoured,
    errors,
    errorSamples
  }
}
