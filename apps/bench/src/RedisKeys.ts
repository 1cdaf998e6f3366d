/**
 * Deleting a run's Redis keys: a spawned Cartero with `--store redis` gets a unique `CARTERO_QUEUE_PREFIX`, and
 * the run deletes every key under it afterwards (`SCAN … MATCH <prefix>*` then `UNLINK`), never anything else
 * (no FLUSHDB: the Redis may be shared).
 *
 * A few lines of RESP over `node:net` rather than a Redis client dependency: the tool only needs SCAN and UNLINK.
 *
 * @since 0.1.0
 */
import * as net from "node:net"

type Reply = string | number | null | ReadonlyArray<Reply> | Error

/** Parses one RESP reply at `buf[at]`; undefined while incomplete. */
const parse = (buf: Buffer, at: number): { readonly value: Reply; readonly next: number } | undefined => {
  const eol = buf.indexOf("\r\n", at)
  if (eol < 0) return undefined
  const line = buf.toString("utf8", at + 1, eol)
  const type = String.fromCharCode(buf[at] ?? 0)
  if (type === "+") return { value: line, next: eol + 2 }
  if (type === "-") return { value: new Error(line), next: eol + 2 }
  if (type === ":") return { value: Number(line), next: eol + 2 }
  if (type === "$") {
    const n = Number(line)
    if (n < 0) return { value: null, next: eol + 2 }
    if (buf.length < eol + 2 + n + 2) return undefined
    return { value: buf.toString("utf8", eol + 2, eol + 2 + n), next: eol + 2 + n + 2 }
  }
  if (type === "*") {
    const n = Number(line)
    const items: Array<Reply> = []
    let next = eol + 2
    for (let i = 0; i < n; i++) {
      const item = parse(buf, next)
      if (item === undefined) return undefined
      items.push(item.value)
      next = item.next
    }
    return { value: items, next }
  }
  return { value: new Error(`unexpected RESP type ${JSON.stringify(type)}`), next: buf.length }
}

const encode = (args: ReadonlyArray<string>): string =>
  `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`

/** Host and port of a `redis://[user:pass@]host:port[/db]` URL (no AUTH or SELECT: loopback benchmark Redis). */
const endpoint = (url: string): { readonly host: string; readonly port: number; readonly db: number } => {
  const u = new URL(url)
  const db = Number(u.pathname.replace("/", "") || "0")
  return { host: u.hostname || "127.0.0.1", port: Number(u.port || "6379"), db: Number.isInteger(db) ? db : 0 }
}

/** Deletes every key starting with `prefix`; resolves with the number deleted. Bounded by `timeoutMs`. */
export const deletePrefix = (url: string, prefix: string, timeoutMs = 30_000): Promise<number> =>
  new Promise((resolve, reject) => {
    if (prefix.length < 8) {
      reject(new Error(`refusing to delete keys under the short prefix ${JSON.stringify(prefix)}`))
      return
    }
    const { db, host, port } = endpoint(url)
    const socket = net.connect({ host, port })
    let buf = Buffer.alloc(0)
    let waiting: ((r: Reply) => void) | undefined
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`redis cleanup timed out after ${timeoutMs} ms`))
    }, timeoutMs)
    const call = (args: ReadonlyArray<string>): Promise<Reply> =>
      new Promise((res) => {
        waiting = res
        socket.write(encode(args))
      })
    socket.on("data", (chunk) => {
      buf = Buffer.concat([buf, chunk])
      const r = parse(buf, 0)
      if (r === undefined || waiting === undefined) return
      buf = buf.subarray(r.next)
      const w = waiting
      waiting = undefined
      w(r.value)
    })
    socket.once("error", (e) => {
      clearTimeout(timer)
      reject(e)
    })
    socket.once("connect", () => {
      void (async () => {
        if (db !== 0) await call(["SELECT", String(db)])
        let cursor = "0"
        let deleted = 0
        // Bounded: SCAN terminates (cursor back to 0); the overall timer bounds it in time too.
        for (let round = 0; round < 1_000_000; round++) {
          const reply = await call(["SCAN", cursor, "MATCH", `${prefix}*`, "COUNT", "1000"])
          if (!Array.isArray(reply) || reply.length !== 2) throw new Error(`SCAN: unexpected reply ${String(reply)}`)
          const [next, keys] = reply
          if (typeof next !== "string" || !Array.isArray(keys)) throw new Error("SCAN: unexpected reply")
          const names = keys.filter((k): k is string => typeof k === "string")
          if (names.length > 0) {
            const n = await call(["UNLINK", ...names])
            if (typeof n === "number") deleted += n
          }
          cursor = next
          if (cursor === "0") break
        }
        clearTimeout(timer)
        socket.end()
        resolve(deleted)
      })().catch((e: unknown) => {
        clearTimeout(timer)
        socket.destroy()
        reject(e instanceof Error ? e : new Error(String(e)))
      })
    })
  })
