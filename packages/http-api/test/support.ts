/**
 * A real API server on 127.0.0.1 port 0 over a memory queue whose store can be switched off (`outage.down`), and a
 * `fetch` helper. Users: `alice` / `secret` (a cheap scrypt hash, for speed).
 */
import { Mailboxes } from "@cartero/mailbox"
import { PasswordHash, Users } from "@cartero/plugin-auth"
import { MailQueue, MemoryQueueStore, QueueError, QueueStore } from "@cartero/queue"
import { Duration, Effect, Layer, Result } from "effect"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import { ApiServer } from "../src/index.ts"
import { Credentials } from "../src/Credentials.ts"
import type { HttpOptions } from "../src/HttpConfig.ts"
import * as Readiness from "../src/Readiness.ts"

/** Whether the store answers. */
export interface Outage {
  down: boolean
}

const unavailable = (operation: string) =>
  Effect.fail(new QueueError.QueueUnavailable({ operation, cause: new Error("connect ECONNREFUSED 127.0.0.1:6390") }))

/** A memory store that fails every operator operation while `outage.down`. */
const switchableStore = (outage: Outage) =>
  Layer.effect(
    QueueStore.QueueStore,
    Effect.map(MemoryQueueStore.make(), (inner): QueueStore.Service => ({
      ...inner,
      list: (filter, page) => (outage.down ? unavailable("list") : inner.list(filter, page)),
      show: (id) => (outage.down ? unavailable("show") : inner.show(id)),
      stats: Effect.suspend(() => (outage.down ? unavailable("stats") : inner.stats))
    }))
  )

const users = Effect.gen(function*() {
  const hash = yield* PasswordHash.hash("secret", { ...PasswordHash.defaults, N: 1024 })
  const parsed = Result.flatMap(Users.parseLines([`alice:${hash}`], "test"), Users.make)
  return Result.getOrThrow(parsed)
})

/** A fresh directory, removed with the scope. */
export const tmpDir = Effect.acquireRelease(
  Effect.promise(() => Fs.mkdtemp(Path.join(Os.tmpdir(), "cartero-api-"))),
  (dir) => Effect.promise(() => Fs.rm(dir, { recursive: true, force: true }))
)

/** Mailboxes over `root` (a fresh empty directory when not given), polled every 100 ms. */
const mailboxes = (root: string | undefined) =>
  Layer.unwrap(Effect.map(root === undefined ? tmpDir : Effect.succeed(root), (dir) =>
    Mailboxes.Mailboxes.layer({ root: dir, pollInterval: Duration.millis(100) })))

/** The server with `auth` ("none" or "basic") on loopback, its queue, the outage switch and the Maildir root. */
export const server = (auth: HttpOptions["auth"], outage: Outage = { down: false }, mailRoot?: string) => {
  const queue = MailQueue.MailQueue.layer.pipe(Layer.provideMerge(switchableStore(outage)))
  const readiness = Layer.effect(
    Readiness.Readiness,
    Effect.map(Readiness.queue, (q) => Readiness.Readiness.of({ checks: [Readiness.check("listeners", Effect.void), q] }))
  )
  const credentials = Layer.unwrap(Effect.map(users, Credentials.fromUsers))
  return ApiServer.layer({ host: "127.0.0.1", port: 0, auth, tls: undefined }).pipe(
    Layer.provideMerge(Layer.mergeAll(readiness, credentials, mailboxes(mailRoot))),
    Layer.provideMerge(queue)
  )
}

/** The base URL of the server in context. */
export const baseUrl = Effect.map(ApiServer.port, (port) => `http://127.0.0.1:${port}`)

/** A request; `user` adds basic credentials. */
export const request = (path: string, init: { method?: string; user?: string; password?: string } = {}) =>
  Effect.gen(function*() {
    const base = yield* baseUrl
    const headers: Record<string, string> = {}
    if (init.user !== undefined) {
      headers["authorization"] = `Basic ${Buffer.from(`${init.user}:${init.password ?? ""}`).toString("base64")}`
    }
    return yield* Effect.promise(async () => {
      const response = await fetch(`${base}${path}`, { method: init.method ?? "GET", headers })
      const bytes = new Uint8Array(await response.arrayBuffer())
      const text = new TextDecoder().decode(bytes)
      return { status: response.status, headers: response.headers, text, bytes, json: (): unknown => JSON.parse(text) }
    })
  })
