/**
 * The counting sink: a fast SMTP server that accepts everything, counts messages and measures end-to-end latency.
 *
 * It is the far end of the `e2e` scenario (the server under test delivers to it) and, driven by the load
 * generator directly, the measure of the wire limit. Its own tiny state machine supports pipelining (replies for
 * all complete commands in a segment go out in one write), finds the end of DATA with native `indexOf` (also
 * across segment boundaries), and reads only the message head to find the `X-Bench-Id` header
 * ({@link BenchMessage}). Latency is arrival (end of DATA) minus the send time written by the generator.
 *
 * Like the generator, it is plain callback code: an Effect fiber per segment would cost more than the work done
 * per segment, and the sink must never be the bottleneck. Lifecycle (start/close) is wrapped in Effect by callers.
 *
 * @since 0.1.0
 */
import * as net from "node:net"
import * as BenchMessage from "./BenchMessage.ts"

export interface Options {
  /** Listen address; loopback by default. */
  readonly host?: string
  /** 0 (the default) picks a free port. */
  readonly port?: number
  /** Name in the greeting and EHLO reply. */
  readonly hostname?: string
}

/** What arrived for one generator run (identified by the run id in `X-Bench-Id`). */
export interface RunArrivals {
  readonly unique: number
  readonly duplicates: number
  /** End-to-end latency of each first arrival, in ms. */
  readonly latenciesMs: ReadonlyArray<number>
  /** Wall-clock microseconds of the last first arrival (0 when none). */
  readonly lastArrivalMicros: number
}

interface RunState {
  readonly ids: Set<string>
  duplicates: number
  readonly latencies: Array<number>
  lastArrivalMicros: number
}

interface Waiter {
  readonly runId: string
  readonly count: number
  readonly resolve: (reached: boolean) => void
}

const marker = Buffer.from("\r\n.\r\n", "latin1")
const crlf = Buffer.from("\r\n", "latin1")
/** How much of a message's head we keep to find the bench header (MTAs prepend Received lines). */
const headCap = 64 * 1024
const maxCommandLine = 64 * 1024

export class CountingSink {
  /** Messages completed (end of DATA seen), with or without a bench header. */
  messages = 0
  /** Bytes of message data received. */
  bytes = 0
  connections = 0
  private readonly runs = new Map<string, RunState>()
  private readonly waiters: Array<Waiter> = []
  private readonly sockets = new Set<net.Socket>()
  private readonly greeting: string
  private readonly ehloReply: string

  private constructor(private readonly server: net.Server, hostname: string) {
    this.greeting = `220 ${hostname} ESMTP cartero-bench sink\r\n`
    this.ehloReply = `250-${hostname}\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 0\r\n`
    server.on("connection", (socket) => this.accept(socket))
  }

  /** Starts listening; resolves once bound. */
  static start(options: Options = {}): Promise<CountingSink> {
    const server = net.createServer()
    const sink = new CountingSink(server, options.hostname ?? "sink.bench.invalid")
    return new Promise((resolve, reject) => {
      server.once("error", reject)
      server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
        server.off("error", reject)
        resolve(sink)
      })
    })
  }

  get port(): number {
    const address = this.server.address()
    return typeof address === "object" && address !== null ? address.port : 0
  }

  get host(): string {
    const address = this.server.address()
    return typeof address === "object" && address !== null ? address.address : ""
  }

  /** Arrivals for one run id (zeros when nothing arrived). */
  arrivals(runId: string): RunArrivals {
    const r = this.runs.get(runId)
    if (r === undefined) return { unique: 0, duplicates: 0, latenciesMs: [], lastArrivalMicros: 0 }
    return { unique: r.ids.size, duplicates: r.duplicates, latenciesMs: r.latencies, lastArrivalMicros: r.lastArrivalMicros }
  }

  /** All runs seen so far (for the standalone sink's summary). */
  runIds(): ReadonlyArray<string> {
    return [...this.runs.keys()]
  }

  /** Resolves `true` once `count` distinct messages of `runId` arrived, `false` after `timeoutMs`. */
  waitFor(runId: string, count: number, timeoutMs: number): Promise<boolean> {
    if (this.arrivals(runId).unique >= count) return Promise.resolve(true)
    return new Promise((resolve) => {
      const waiter: Waiter = {
        runId,
        count,
        resolve: (reached) => {
          clearTimeout(timer)
          resolve(reached)
        }
      }
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter)
        if (i >= 0) this.waiters.splice(i, 1)
        resolve(false)
      }, timeoutMs)
      this.waiters.push(waiter)
    })
  }

  /** Forgets all counts. */
  reset(): void {
    this.messages = 0
    this.bytes = 0
    this.connections = 0
    this.runs.clear()
  }

  /** Stops listening and drops open connections. */
  close(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    for (const w of this.waiters.splice(0)) w.resolve(false)
    return new Promise((resolve) => this.server.close(() => resolve()))
  }

  private accept(socket: net.Socket): void {
    this.connections++
    this.sockets.add(socket)
    socket.setNoDelay(true)
    socket.on("error", () => socket.destroy())
    socket.on("close", () => this.sockets.delete(socket))
    const conn = new SinkConnection(this, socket)
    socket.on("data", (chunk: Buffer) => conn.onData(chunk))
    socket.write(this.greeting)
  }

  /** @internal */
  ehlo(): string {
    return this.ehloReply
  }

  /** @internal Called by a connection at each end of DATA. */
  onMessage(head: string, size: number): number {
    const arrived = BenchMessage.nowMicros()
    this.messages++
    this.bytes += size
    const bench = BenchMessage.parseHead(head)
    if (bench !== undefined) {
      const runId = bench.id.slice(0, 8)
      let r = this.runs.get(runId)
      if (r === undefined) {
        r = { ids: new Set(), duplicates: 0, latencies: [], lastArrivalMicros: 0 }
        this.runs.set(runId, r)
      }
      if (r.ids.has(bench.id)) {
        r.duplicates++
      } else {
        r.ids.add(bench.id)
        r.latencies.push((arrived - bench.sentMicros) / 1000)
        r.lastArrivalMicros = arrived
        if (this.waiters.length > 0) this.wake(runId, r.ids.size)
      }
    }
    return this.messages
  }

  private wake(runId: string, unique: number): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i]
      if (w !== undefined && w.runId === runId && unique >= w.count) {
        this.waiters.splice(i, 1)
        w.resolve(true)
      }
    }
  }
}

/** Per-connection protocol state. */
class SinkConnection {
  private inData = false
  private command = ""
  /** Last ≤4 bytes of the current message, to find an end marker split across segments. */
  private tail: Buffer = crlf
  private head = ""
  private headDone = false
  private size = 0

  constructor(private readonly sink: CountingSink, private readonly socket: net.Socket) {}

  onData(chunk: Buffer): void {
    let out = ""
    let offset = 0
    while (offset < chunk.length) {
      if (this.inData) {
        const end = this.scanData(chunk, offset)
        if (end < 0) break
        const n = this.sink.onMessage(this.head, this.size)
        out += `250 2.0.0 Ok: queued as ${n}\r\n`
        this.inData = false
        offset = end
      } else {
        const r = this.scanCommands(chunk, offset)
        out += r.out
        if (r.quit) {
          this.socket.end(out)
          return
        }
        if (r.overflow) {
          this.socket.end(out + "500 5.5.2 line too long\r\n")
          return
        }
        offset = r.next
      }
    }
    if (out.length > 0) this.socket.write(out)
  }

  /** Consumes message data from `offset`. Returns the offset just past the end marker, or -1 (need more). */
  private scanData(chunk: Buffer, offset: number): number {
    let end = -1
    // A marker that starts in the previous segment's tail.
    const probe = Buffer.concat([this.tail, chunk.subarray(offset, offset + 4)])
    const p = probe.indexOf(marker)
    if (p >= 0 && p < this.tail.length) {
      end = offset + p + marker.length - this.tail.length
    } else {
      const q = chunk.indexOf(marker, offset)
      if (q >= 0) end = q + marker.length
    }
    const stop = end < 0 ? chunk.length : end
    if (!this.headDone) this.collectHead(chunk, offset, stop)
    this.size += stop - offset
    if (end >= 0) return end
    const keep = Buffer.concat([this.tail, chunk.subarray(Math.max(offset, chunk.length - 4))])
    this.tail = Buffer.from(keep.subarray(Math.max(0, keep.length - 4)))
    return -1
  }

  private collectHead(chunk: Buffer, from: number, to: number): void {
    const take = Math.min(to, from + (headCap - this.head.length))
    this.head += chunk.toString("latin1", from, take)
    if (this.head.includes("\r\n\r\n") || this.head.length >= headCap) this.headDone = true
  }

  private startData(): void {
    this.inData = true
    this.tail = crlf // the DATA line's CRLF: ".\r\n" right away is an empty message
    this.head = ""
    this.headDone = false
    this.size = 0
  }

  /** Answers complete command lines from `offset` until DATA (then stops: the rest is message data). */
  private scanCommands(
    chunk: Buffer,
    offset: number
  ): { readonly out: string; readonly next: number; readonly quit: boolean; readonly overflow: boolean } {
    const carried = this.command.length
    const text = carried === 0 ? chunk.toString("latin1", offset) : this.command + chunk.toString("latin1", offset)
    let out = ""
    let start = 0
    for (;;) {
      const nl = text.indexOf("\n", start)
      if (nl < 0) break
      const verb = text.slice(start, Math.min(start + 4, nl)).toUpperCase()
      start = nl + 1
      switch (verb) {
        case "EHLO":
          out += this.sink.ehlo()
          break
        case "HELO":
        case "LHLO":
          out += "250 sink.bench.invalid\r\n"
          break
        case "DATA":
          out += "354 End data with <CR><LF>.<CR><LF>\r\n"
          this.startData()
          this.command = ""
          // `text` is latin1, one char per byte: string offsets past the carried part are chunk offsets.
          return { out, next: offset + start - carried, quit: false, overflow: false }
        case "QUIT":
          return { out: out + "221 2.0.0 Bye\r\n", next: chunk.length, quit: true, overflow: false }
        case "STAR": // STARTTLS is not advertised; refuse rather than pretend.
        case "AUTH":
          out += "502 5.5.1 Not implemented\r\n"
          break
        default:
          out += "250 2.0.0 Ok\r\n"
      }
    }
    this.command = text.slice(start)
    return { out, next: chunk.length, quit: false, overflow: this.command.length > maxCommandLine }
  }
}
