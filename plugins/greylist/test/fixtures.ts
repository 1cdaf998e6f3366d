import { Pipeline, Plugin, type Session } from "@cartero/core"
import { PolicyStore } from "@cartero/policy-store"
import { Verdict } from "@cartero/smtp"
import { TempDir, TestSession } from "@cartero/testing"
import { Effect, Layer } from "effect"
import { Redis } from "ioredis"
import { randomBytes } from "node:crypto"
import { Greylist } from "../src/index.ts"

export const redisUrl = process.env["CARTERO_REDIS_URL"] ?? "redis://127.0.0.1:6379"

/** Deletes the keys under `prefix`; the keys it deleted. */
export const deleteKeys = async (prefix: string): Promise<Array<string>> => {
  const r = new Redis(redisUrl)
  try {
    const keys = await r.keys(`${prefix}*`)
    if (keys.length > 0) await r.del(...keys)
    return keys.sort()
  } finally {
    await r.quit()
  }
}

/** A Redis policy store under a fresh prefix, whose keys are deleted when the layer closes. */
export const redisStore = (prefix = `cartero-test:greylist:${randomBytes(6).toString("hex")}:`) =>
  Layer.unwrap(Effect.gen(function*() {
    yield* Effect.addFinalizer(() => Effect.promise(() => deleteKeys(prefix)))
    return PolicyStore.PolicyStore.layerRedis({ url: redisUrl, prefix })
  }))

/** A SQLite policy store in a temporary directory. */
export const sqliteStore = Layer.unwrap(
  Effect.map(TempDir.make("cartero-greylist-"), (dir) => PolicyStore.PolicyStore.layerSqlite({ filename: `${dir}/policy.sqlite` }))
)

/** The three backends, by name. */
export const stores: ReadonlyArray<readonly [string, () => Layer.Layer<PolicyStore.PolicyStore, unknown>]> = [
  ["memory", () => PolicyStore.PolicyStore.layerMemory()],
  ["sqlite", () => sqliteStore],
  ["redis", () => redisStore()]
]

/** rcptTo is default-deny: this plugin after the greylist accepts what it lets through. */
export const acceptAll = Plugin.make("accept-all", Effect.succeed({ rcptTo: () => Effect.succeed(Verdict.accept()) }))

/** A pipeline of the greylist (with `options`) and {@link acceptAll}, over `store`. */
export const pipeline = (options: Greylist.Options, store: Layer.Layer<PolicyStore.PolicyStore, unknown>) =>
  Pipeline.Pipeline.layer([Greylist.plugin(options), acceptAll]).pipe(Layer.provide(store))

/** A transaction from `client` (address), `sender`, to be asked about `recipient`. */
export const attempt = (client: string, sender: string, overrides: Partial<Omit<Session.Connection, "notes">> = {}) =>
  TestSession.transaction(TestSession.connection({ remoteAddress: client, ...overrides }), [], { mailFrom: TestSession.address(sender) })

/** Asks the pipeline about one recipient of a fresh transaction: the verdict's tag, or its reply as sent. */
export const rcpt = (client: string, sender: string, recipient: string, overrides: Partial<Omit<Session.Connection, "notes">> = {}) =>
  Effect.flatMap(Pipeline.Pipeline, (p) => p.rcptTo(attempt(client, sender, overrides), TestSession.recipient(recipient))).pipe(
    Effect.map(show)
  )

/** A verdict as `Accept`/`Continue`, or the reply as sent (`451 4.7.1 …`). */
export const show = (v: Verdict.Verdict): string => {
  if (v._tag === "Continue" || v._tag === "Accept") return v._tag
  return `${v.reply.code} ${v.reply.enhanced ?? ""} ${v.reply.lines.join(" ")}`
}
