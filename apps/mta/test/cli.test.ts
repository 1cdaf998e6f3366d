/**
 * `cartero queue ...` in-process, against a temporary SQLite directory and against Redis under a unique prefix:
 * the same environment variables the app reads pick the store (through `ConfigProvider.fromEnv`), the commands'
 * stdout/stderr are captured, and the queue is inspected directly to check what retry/hold/release/delete did.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { randomBytes } from "node:crypto"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { MailQueue } from "@cartero/queue"
import { Fixtures } from "@cartero/queue/testing"
import { Keys, Purge, RedisQueueStore } from "@cartero/queue-redis"
import Database from "better-sqlite3"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import * as AppQueue from "../src/AppQueue.ts"
import { cli, type Env, itemsOf, json } from "./support/Cli.ts"

/** The queue the CLI sees, for setting up and checking. */
const queue = (env: Env) =>
  AppQueue.AppQueue.layer.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env }))))

const redisUrl = process.env["CARTERO_REDIS_URL"] ?? "redis://127.0.0.1:6379"

const deleteKeys = (prefix: string) => Effect.promise(() => Purge.prefix(redisUrl, prefix))

interface StoreCase {
  readonly name: string
  readonly store: string
  /** A fresh environment selecting this store, and its clean-up. */
  readonly make: () => { readonly env: Env; readonly cleanup: Effect.Effect<void> }
  /** Rewrites a stored text behind the store's back (the envelope, or recipient `index`'s last reply). */
  readonly corrupt: (env: Env, id: string, field: "envelope" | { readonly reply: number }, text: string) => Effect.Effect<void>
}

const stores: ReadonlyArray<StoreCase> = [
  {
    name: "SQLite",
    store: "sqlite ",
    make: () => {
      const dir = mkdtempSync(join(tmpdir(), "cartero-cli-"))
      return { env: { CARTERO_DATA_DIR: dir }, cleanup: Effect.sync(() => rmSync(dir, { recursive: true, force: true })) }
    },
    corrupt: (env, id, field, text) =>
      Effect.acquireUseRelease(
        Effect.sync(() => new Database(join(env["CARTERO_DATA_DIR"] ?? "", "queue.sqlite"))),
        (db) =>
          Effect.sync(() =>
            field === "envelope"
              ? db.prepare("UPDATE messages SET envelope = ? WHERE id = ?").run(text, id)
              : db.prepare("UPDATE recipients SET reply = ? WHERE msg_id = ? AND idx = ?").run(text, id, field.reply)
          ),
        (db) => Effect.sync(() => db.close())
      )
  },
  {
    name: "Redis",
    store: "redis 127.0.0.1:",
    make: () => {
      const prefix = `cartero-test:cli:${randomBytes(6).toString("hex")}:`
      // CARTERO_DATA_DIR points nowhere useful on purpose: the Redis URL must win.
      return { env: { CARTERO_REDIS_URL: redisUrl, CARTERO_QUEUE_PREFIX: prefix, CARTERO_DATA_DIR: "/nonexistent/cartero" }, cleanup: deleteKeys(prefix) }
    },
    corrupt: (env, id, field, text) =>
      Effect.acquireUseRelease(
        Effect.sync(() => new RedisQueueStore.Redis(redisUrl)),
        (redis) =>
          Effect.promise(() =>
            redis.hset(Keys.shard(env["CARTERO_QUEUE_PREFIX"] ?? "", 0).message(id), field === "envelope" ? "env" : `r:${field.reply}`, text)
          ),
        (redis) => Effect.promise(() => redis.quit())
      )
  }
]

/** Two messages: m1 (two domains, y.test deferred for an hour with a 451) and m2 (a bounce, one recipient). */
const seed = Effect.gen(function*() {
  const q = yield* MailQueue.MailQueue
  const m1 = yield* q.enqueue({ envelope: Fixtures.envelope("alice@x.test", "bob@y.test", "carol@z.test"), body: Fixtures.bytes("one") })
  yield* Effect.sleep("5 millis")
  const m2 = yield* q.enqueue({ envelope: Fixtures.envelope(null, "dave@y.test"), body: Fixtures.bytes("two") })
  const [claim] = yield* q.claim({ domain: "y.test", limit: 1 })
  assert.isDefined(claim)
  assert.strictEqual(claim?.messageId, m1)
  if (claim !== undefined) {
    yield* q.complete(claim, [{ _tag: "Deferred", index: 0, reply: Fixtures.tempFail, retryAt: Date.now() + 3_600_000 }])
  }
  return { m1, m2 }
})

for (const s of stores) {
  describe(`cartero queue (${s.name})`, () => {
    const withStore = <A, E>(body: (env: Env) => Effect.Effect<A, E, MailQueue.MailQueue>) =>
      Effect.suspend(() => {
        const { cleanup, env } = s.make()
        return body(env).pipe(Effect.provide(queue(env)), Effect.ensuring(cleanup))
      })

    it.live("list, show and stats print tables and JSON", () =>
      withStore((env) =>
        Effect.gen(function*() {
          const { m1, m2 } = yield* seed

          const table = yield* cli(env, "queue", "list")
          assert.strictEqual(table.code, 0, table.stderr)
          const lines = table.stdout.trimEnd().split("\n")
          assert.match(lines[0] ?? "", /^ID\s+ARRIVED\s+SIZE\s+SENDER\s+RECIPIENTS\s+STATES\s+NEXT ATTEMPT$/)
          assert.match(lines[1] ?? "", new RegExp(`^${m1}\\s+\\d{4}-\\d\\d-\\d\\dT[\\d:]+Z\\s+3\\s+<alice@x.test>\\s+bob@y.test, carol@z.test\\s+pending 1, deferred 1\\s`))
          assert.match(lines[2] ?? "", new RegExp(`^${m2}\\s.*<>\\s+dave@y.test\\s+pending 1\\s`))
          assert.strictEqual(lines[3], "2 messages")

          const listed = json(yield* cli(env, "queue", "list", "--json"))
          assert.deepInclude(listed, { next: null })
          assert.deepStrictEqual(itemsOf(listed).map((i) => i["id"]), [m1, m2])
          assert.deepInclude(itemsOf(listed)[0], { sender: "<alice@x.test>", size: 3, held: false, recipients: 2, to: ["bob@y.test", "carol@z.test"], states: { pending: 1, deferred: 1 } })

          assert.deepStrictEqual(itemsOf(json(yield* cli(env, "queue", "list", "--state", "deferred", "--json"))).map((i) => i["id"]), [m1])
          assert.deepStrictEqual(itemsOf(json(yield* cli(env, "queue", "list", "--sender", "<>", "--json"))).map((i) => i["id"]), [m2])
          const page1 = json(yield* cli(env, "queue", "list", "--limit", "1", "--json"))
          assert.deepStrictEqual(itemsOf(page1).map((i) => i["id"]), [m1])
          const next = typeof page1 === "object" && page1 !== null && "next" in page1 ? String(page1.next) : ""
          const page2 = yield* cli(env, "queue", "list", "--limit", "1", "--cursor", next)
          assert.match(page2.stdout, new RegExp(`^ID.*\\n${m2}\\s`))
          assert.strictEqual(itemsOf(json(yield* cli(env, "queue", "list", "--limit", "1", "--all", "--json"))).length, 2)

          const shown = yield* cli(env, "queue", "show", m1)
          assert.strictEqual(shown.code, 0, shown.stderr)
          assert.match(shown.stdout, new RegExp(`^FIELD\\s+VALUE\\nid\\s+${m1}\\n`))
          assert.match(shown.stdout, /\n\s*0\s+bob@y\.test\s+deferred\s+1\s+\S+Z\s+451 4\.4\.1 Try again later\n/)
          assert.match(shown.stdout, /\n\s*1\s+carol@z\.test\s+pending\s+0\s+\S+Z\s+-\n$/)
          const detail = json(yield* cli(env, "queue", "show", m1, "--json"))
          assert.deepInclude(detail, { id: m1, sender: "<alice@x.test>", size: 3, held: false })
          const recipients = typeof detail === "object" && detail !== null && "recipients" in detail && Array.isArray(detail.recipients) ? detail.recipients : []
          assert.deepInclude(recipients[0], { index: 0, address: "bob@y.test", domain: "y.test", state: "deferred", attempts: 1, lastReply: { code: 451, enhanced: "4.4.1", text: "4.4.1 Try again later" } })

          const stats = json(yield* cli(env, "queue", "stats", "--json"))
          assert.deepInclude(stats, { messages: 2, recipients: { pending: 2, inflight: 0, deferred: 1, held: 0, delivered: 0, failed: 0 } })
          assert.isTrue(typeof stats === "object" && stats !== null && "store" in stats && String(stats.store).startsWith(s.store))
          const statsTable = yield* cli(env, "queue", "stats")
          assert.match(statsTable.stdout, /^STATE\s+RECIPIENTS\npending\s+2\ninflight\s+0\ndeferred\s+1\n/)
          assert.match(statsTable.stdout, /\nmessages: 2\n/)
        })
      ))

    it.live("retry, hold, release and delete change the queue", () =>
      withStore((env) =>
        Effect.gen(function*() {
          const q = yield* MailQueue.MailQueue
          const { m1, m2 } = yield* seed
          const stateOf = (id: string) => Effect.map(q.show(id), (m) => m.recipients.map((r) => r.state).join(","))

          const held = yield* cli(env, "queue", "hold", m1, m2)
          assert.strictEqual(held.stdout, `${m1}: 2 recipients held\n${m2}: 1 recipient held\n`)
          assert.strictEqual(yield* stateOf(m1), "held,held")
          assert.strictEqual((yield* q.claim({ limit: 10 })).length, 0)

          assert.deepStrictEqual(json(yield* cli(env, "queue", "release", m1, "--json")), [{ id: m1, action: "release", recipients: 2 }])
          assert.strictEqual(yield* stateOf(m1), "deferred,pending")
          assert.isTrue(((yield* q.show(m1)).recipients[0]?.nextAttemptAt ?? 0) > Date.now() + 60_000, "deferral kept")

          assert.strictEqual((yield* cli(env, "queue", "retry", m1)).stdout, `${m1}: 2 recipients made due now\n`)
          assert.isTrue(((yield* q.show(m1)).recipients[0]?.nextAttemptAt ?? Infinity) <= Date.now())
          const claims = yield* q.claim({ limit: 10 })
          assert.deepStrictEqual(claims.map((c) => `${c.messageId}:${c.domain}`).sort(), [`${m1}:y.test`, `${m1}:z.test`].sort())

          assert.strictEqual((yield* cli(env, "queue", "delete", m2)).stdout, `${m2}: deleted (1 recipient)\n`)
          assert.strictEqual((yield* Effect.flip(q.show(m2)))._tag, "MessageNotFound")
          assert.deepInclude(json(yield* cli(env, "queue", "stats", "--json")), { messages: 1 })
        })
      ))

    it.live("quarantined messages: marked with their reason in list (table and JSON) and show, release refused, delete works", () =>
      withStore((env) =>
        Effect.gen(function*() {
          const q = yield* MailQueue.MailQueue
          const { m1, m2 } = yield* seed
          yield* s.corrupt(env, m1, "envelope", "{\"mailFrom\":\u001b[31m")
          yield* s.corrupt(env, m2, { reply: 0 }, "{\"code\":\"550\"}")

          const table = yield* cli(env, "queue", "list")
          assert.strictEqual(table.code, 0, table.stderr)
          const lines = table.stdout.trimEnd().split("\n")
          assert.match(lines[1] ?? "", new RegExp(`^${m1} \\(quarantined\\)\\s+\\S+Z\\s+3\\s+<alice@x.test>\\s+\\?, \\?\\s+pending 1, deferred 1\\s`))
          assert.match(lines[2] ?? "", new RegExp(`^${m2} \\(quarantined\\)\\s.*<>\\s+dave@y.test\\s+pending 1\\s`))
          assert.match(lines[3] ?? "", new RegExp(`^${m1}: quarantined: envelope unreadable: \\S`))
          assert.match(lines[4] ?? "", new RegExp(`^${m2}: quarantined: recipient 0: last reply unreadable: \\S`))
          assert.strictEqual(lines[5], "2 messages")
          assert.notMatch(table.stdout, /\u001b/, "no control character reaches the terminal")

          const listed = itemsOf(json(yield* cli(env, "queue", "list", "--json")))
          assert.match(String(listed[0]?.["quarantine"]), /^envelope unreadable: /)
          assert.match(String(listed[1]?.["quarantine"]), /^recipient 0: last reply unreadable: /)

          const shown = yield* cli(env, "queue", "show", m1)
          assert.strictEqual(shown.code, 0, shown.stderr)
          assert.match(shown.stdout, /\nsender\s+<alice@x\.test>\n/)
          assert.match(shown.stdout, /\nquarantine\s+envelope unreadable: \S/)
          assert.match(shown.stdout, /\n\s*0\s+\?\s+deferred\s+1\s+\S+Z\s+451 4\.4\.1 Try again later\n/)
          const detail = json(yield* cli(env, "queue", "show", m1, "--json"))
          assert.deepInclude(detail, { id: m1, sender: "<alice@x.test>" })
          const record = typeof detail === "object" && detail !== null ? detail as Record<string, unknown> : {}
          assert.match(String(record["quarantine"]), /^envelope unreadable: /)
          const recipients = Array.isArray(record["recipients"]) ? record["recipients"] : []
          assert.deepInclude(recipients[1], { index: 1, address: null, domain: "z.test", state: "pending" })
          assert.deepInclude(json(yield* cli(env, "queue", "stats", "--json")), { messages: 2 })

          const refused = yield* cli(env, "queue", "release", m1, m2, "0nope")
          assert.strictEqual(refused.code, 1)
          assert.strictEqual(refused.stdout, "")
          assert.match(refused.stderr, /^cartero: no queued message "0nope"\ncartero: not released, quarantined until their record reads whole \(fix it, or delete the message\): /)
          assert.include(refused.stderr, `"${m1}" (envelope unreadable: `)
          assert.include(refused.stderr, `"${m2}" (recipient 0: last reply unreadable: `)
          assert.notMatch(refused.stderr, /\u001b/)

          assert.strictEqual((yield* cli(env, "queue", "delete", m1)).stdout, `${m1}: deleted (2 recipients)\n`)
          assert.deepStrictEqual(itemsOf(json(yield* cli(env, "queue", "list", "--json"))).map((i) => i["id"]), [m2])
          assert.strictEqual((yield* q.stats).messages, 1)
        })
      ))

    it.live("cat prints the content as queued; show, cat and the actions accept the id the client saw", () =>
      withStore((env) =>
        Effect.gen(function*() {
          const q = yield* MailQueue.MailQueue
          const content = "Subject: hello\r\nFrom: alice@x.test\r\n\r\nbody line\r\n"
          const id = yield* q.enqueue({
            envelope: Fixtures.envelope("alice@x.test", "bob@y.test"),
            body: new TextEncoder().encode(content),
            traceId: "txn0client0saw"
          })
          const cat = yield* cli(env, "queue", "cat", id)
          assert.strictEqual(cat.code, 0, cat.stderr)
          assert.strictEqual(cat.stdout, content)
          assert.deepStrictEqual(json(yield* cli(env, "queue", "cat", id, "--json")), {
            id,
            traceId: "txn0client0saw",
            sender: "<alice@x.test>",
            recipients: ["bob@y.test"],
            size: content.length,
            content
          })
          // `250 2.0.0 Ok: delivered as txn0client0saw`: the transaction id finds the queued part of the message.
          assert.strictEqual((yield* cli(env, "queue", "cat", "txn0client0saw")).stdout, content)
          assert.deepInclude(json(yield* cli(env, "queue", "show", "txn0client0saw", "--json")), { id })
          assert.strictEqual((yield* cli(env, "queue", "hold", "txn0client0saw")).stdout, `${id}: 1 recipient held\n`)
          assert.isTrue((yield* q.show(id)).held)
          const unknown = yield* cli(env, "queue", "cat", "0nope")
          assert.deepStrictEqual(unknown, { code: 1, stdout: "", stderr: "cartero: no queued message \"0nope\"\n" })
        })
      ))

    it.live("the actions select many messages: --all, --domain, --sender, --older-than (combined with and)", () =>
      withStore((env) =>
        Effect.gen(function*() {
          const q = yield* MailQueue.MailQueue
          const { m1, m2 } = yield* seed
          const m3 = yield* q.enqueue({ envelope: Fixtures.envelope("erin@w.test", "frank@v.test"), body: Fixtures.bytes("three") })
          const heldIds = Effect.map(q.list({}, { limit: 100 }), (p) => p.items.filter((i) => i.held).map((i) => i.id))

          assert.deepStrictEqual(json(yield* cli(env, "queue", "hold", "--domain", "y.test", "--json")), [
            { id: m1, action: "hold", recipients: 2 },
            { id: m2, action: "hold", recipients: 1 }
          ])
          assert.deepStrictEqual(yield* heldIds, [m1, m2])
          assert.strictEqual((yield* cli(env, "queue", "release", "--sender", "<>")).stdout, `${m2}: 1 recipient released\n`)
          assert.deepStrictEqual(yield* heldIds, [m1])
          // Everything arrived just now: nothing is an hour old; everything is 0s old.
          assert.strictEqual((yield* cli(env, "queue", "hold", "--older-than", "1h")).stdout, "no message matches\n")
          const old = json(yield* cli(env, "queue", "hold", "--older-than", "0s", "--sender", "alice", "--json"))
          assert.deepStrictEqual(Array.isArray(old) ? old.map((r: { id: string }) => r.id) : [], [m1])
          assert.strictEqual((yield* cli(env, "queue", "retry", "--domain", "nowhere.test")).stdout, "no message matches\n")
          assert.strictEqual((yield* cli(env, "queue", "release", "--all")).code, 0)
          assert.deepStrictEqual(yield* heldIds, [])
          assert.strictEqual((yield* cli(env, "queue", "delete", "--all", "--domain", "v.test")).stdout, `${m3}: deleted (1 recipient)\n`)
          assert.strictEqual((yield* q.stats).messages, 2)

          const none = yield* cli(env, "queue", "delete")
          assert.deepStrictEqual(none, { code: 1, stdout: "", stderr: "cartero: name queue ids, or select messages with --all, --domain, --sender or --older-than\n" })
          const both = yield* cli(env, "queue", "delete", m1, "--all")
          assert.strictEqual(both.code, 1)
          assert.include(both.stderr, "not both")
          const badAge = yield* cli(env, "queue", "hold", "--older-than", "2 hours")
          assert.strictEqual(badAge.stderr, "cartero: --older-than: expected a duration such as 2h, got \"2 hours\"\n")
          assert.strictEqual((yield* q.stats).messages, 2, "refused commands changed nothing")
        })
      ))

    it.live("an unknown id is one clear line on stderr and exit code 1", () =>
      withStore((env) =>
        Effect.gen(function*() {
          const { m1 } = yield* seed
          const shown = yield* cli(env, "queue", "show", "0nope")
          assert.deepStrictEqual(shown, { code: 1, stdout: "", stderr: "cartero: no queued message \"0nope\"\n" })
          // A malformed id (it would reach a store key) is "not found" too, not a crash.
          assert.strictEqual((yield* cli(env, "queue", "delete", "../x\r\n*")).stderr, "cartero: no queued message \"../x\\r\\n*\"\n")
          const mixed = yield* cli(env, "queue", "hold", m1, "0nope")
          assert.deepStrictEqual(mixed, { code: 1, stdout: `${m1}: 2 recipients held\n`, stderr: "cartero: no queued message \"0nope\"\n" })
        })
      ))
  })
}

describe("cartero (usage)", () => {
  it.live("bad flags exit 1 with the help text, --help exits 0, a leading -- is tolerated", () =>
    Effect.gen(function*() {
      const env = { CARTERO_DATA_DIR: "/nonexistent/cartero" }
      const bad = yield* cli(env, "queue", "list", "--state", "bogus")
      assert.strictEqual(bad.code, 1)
      assert.match(bad.stdout + bad.stderr, /bogus/)
      const help = yield* cli(env, "queue", "--help")
      assert.strictEqual(help.code, 0)
      assert.match(help.stdout, /list\s+List queued messages/)
      const dashed = yield* cli(env, "--", "queue", "show", "--help")
      assert.strictEqual(dashed.code, 0)
      assert.match(dashed.stdout, /cartero queue show/)
    }))

  it.live("reads the store from the config file as the server does (the environment still wins)", () => {
    const dir = mkdtempSync(join(tmpdir(), "cartero-cli-config-"))
    const file = join(dir, "cartero.config.mjs")
    writeFileSync(file, `export default { settings: { CARTERO_DATA_DIR: ${JSON.stringify(join(dir, "data"))} } }\n`)
    return Effect.gen(function*() {
      const id = yield* MailQueue.MailQueue.use((q) => q.enqueue({ envelope: Fixtures.envelope("alice@x.test", "bob@y.test"), body: Fixtures.bytes("x") })).pipe(
        Effect.provide(queue({ CARTERO_DATA_DIR: join(dir, "data") }))
      )
      const listed = itemsOf(json(yield* cli({ CARTERO_CONFIG: file }, "queue", "list", "--json")))
      assert.deepStrictEqual(listed.map((m) => m["id"]), [id])
      // The environment wins: a data directory without a database is refused, naming the path and the setting.
      const stats = yield* cli({ CARTERO_CONFIG: file, CARTERO_DATA_DIR: join(dir, "elsewhere") }, "queue", "stats")
      assert.strictEqual(stats.code, 1)
      assert.strictEqual(stats.stdout, "")
      assert.include(stats.stderr, `cartero: no queue database at ${join(dir, "elsewhere", "queue.sqlite")}: set CARTERO_DATA_DIR`)
      assert.isFalse(existsSync(join(dir, "elsewhere", "queue.sqlite")), "no empty database was created")
    }).pipe(Effect.ensuring(Effect.sync(() => rmSync(dir, { recursive: true, force: true }))))
  })

  it.live("an unreachable Redis is one line naming the store operation, exit code 1", () =>
    Effect.gen(function*() {
      const r = yield* cli({ CARTERO_REDIS_URL: "redis://127.0.0.1:1" }, "queue", "stats")
      assert.strictEqual(r.code, 1)
      assert.match(r.stderr, /^cartero: queue store unavailable during connect: .*ECONNREFUSED.*\n$/)
    }))
})
