/**
 * `cartero config check`: every setting and the config file validated without starting anything, each check
 * printed with its verdict, exit code 0 only when all pass; nothing written where the server keeps its data.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Fs from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { cli, json } from "./support/Cli.ts"

const withDir = <A, E>(body: (dir: string) => Effect.Effect<A, E>) =>
  Effect.suspend(() => {
    const dir = Fs.mkdtempSync(join(tmpdir(), "cartero-cli-check-"))
    return body(dir).pipe(Effect.ensuring(Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))))
  })

interface Check {
  readonly check: string
  readonly ok: boolean
  readonly detail: string
}

const checksOf = (v: unknown): ReadonlyArray<Check> =>
  typeof v === "object" && v !== null && "checks" in v && Array.isArray(v.checks) ? v.checks : []

describe("cartero config check", () => {
  it.live("the defaults pass every check, and nothing is created in the data directory", () =>
    withDir((dir) =>
      Effect.gen(function*() {
        const data = join(dir, "data")
        const r = yield* cli({ CARTERO_DATA_DIR: data }, "config", "check")
        assert.strictEqual(r.code, 0, r.stdout + r.stderr)
        const lines = r.stdout.trimEnd().split("\n")
        assert.isTrue(lines.every((l) => l.startsWith("ok ")), r.stdout)
        assert.deepStrictEqual(lines.map((l) => l.slice(7).split("  ")[0]?.trim()), [
          "config file",
          "processes",
          "heap growth",
          "app settings",
          "SMTP server",
          "delivery",
          "DNS",
          "queue store",
          "policy store",
          "users",
          "traces",
          "inbound plugins"
        ])
        assert.include(r.stdout, `sqlite ${join(data, "queue.sqlite")}`)
        assert.include(r.stdout, "auth, local-domains, maildir, queue")
        assert.isFalse(Fs.existsSync(data), "checking wrote nothing")
        assert.deepInclude(json(yield* cli({ CARTERO_DATA_DIR: data }, "config", "check", "--json")), { ok: true })
      })))

  it.live("bad settings: every problem is reported, each under its check, exit code 1", () =>
    withDir((dir) =>
      Effect.gen(function*() {
        const env = {
          CARTERO_DATA_DIR: dir,
          CARTERO_SMTP_PORT: "abc",
          CARTERO_QUEUE_RETAIN: "1 hour",
          CARTERO_DNS_TIMEOUT: "5 seconds",
          CARTERO_DELIVERY_WORKERS: "-1",
          CARTERO_OTLP_ENDPOINT: "ftp://127.0.0.1:4318"
        }
        const r = yield* cli(env, "config", "check", "--json")
        assert.strictEqual(r.code, 1)
        assert.strictEqual(r.stderr, "cartero: 5 checks failed\n")
        const failed = checksOf(JSON.parse(r.stdout)).filter((c) => !c.ok)
        assert.deepStrictEqual(failed.map((c) => c.check), ["SMTP server", "delivery", "DNS", "queue store", "traces"])
        assert.include(failed[0]?.detail, `CARTERO_SMTP_PORT: expected an integer 0-65535, got "abc"`)
        assert.include(failed[1]?.detail, "CARTERO_DELIVERY_WORKERS")
        assert.strictEqual(failed[2]?.detail, `CARTERO_DNS_TIMEOUT: expected a duration such as 5s, got "5 seconds"`)
        assert.strictEqual(failed[3]?.detail, `CARTERO_QUEUE_RETAIN: expected a duration such as 1h, got "1 hour"`)
        assert.strictEqual(failed[4]?.detail, `CARTERO_OTLP_ENDPOINT: expected an http:// or https:// URL (the OTLP/HTTP collector), got "ftp://127.0.0.1:4318"`)
        const text = yield* cli(env, "config", "check")
        assert.match(text.stdout, /^error {2}SMTP server {6}CARTERO_SMTP_PORT: /m)
      })))

  it.live("a config file of the wrong shape and a malformed users file are named with the problem", () =>
    withDir((dir) =>
      Effect.gen(function*() {
        const file = join(dir, "cartero.config.mjs")
        Fs.writeFileSync(file, "export default { plugins: 42 }\n")
        const users = join(dir, "users")
        Fs.writeFileSync(users, "# users\nalice@example.test\n")
        const r = yield* cli({ CARTERO_DATA_DIR: dir, CARTERO_CONFIG: file, CARTERO_AUTH_USERS_FILE: users }, "config", "check", "--json")
        assert.strictEqual(r.code, 1)
        const failed = checksOf(JSON.parse(r.stdout)).filter((c) => !c.ok)
        assert.strictEqual(failed[0]?.check, "config file")
        assert.include(failed[0]?.detail, file)
        const usersCheck = failed.find((c) => c.check === "users")
        assert.strictEqual(usersCheck?.detail, `${users}:2: expected user:hash or user:hash:alias,alias`)
        const missing = yield* cli({ CARTERO_DATA_DIR: dir, CARTERO_AUTH_USERS_FILE: join(dir, "nope") }, "config", "check", "--json")
        assert.include(checksOf(JSON.parse(missing.stdout)).find((c) => c.check === "users")?.detail, "no such file (CARTERO_AUTH_USERS_FILE)")
      })))
})
