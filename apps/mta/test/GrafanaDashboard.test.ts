/**
 * docs/grafana/cartero.json is valid JSON, and every metric its queries name is in a real `/metrics` scrape of the
 * reference MTA after one message; every metric family of that scrape is described in docs/operations.md.
 */
import { TempDir } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import nodemailer from "nodemailer"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { startApp } from "./support/ApiApp.ts"

const root = Path.resolve(import.meta.dirname, "../../..")
const tempDir = TempDir.make()

/** Every string under `expr`, `query` or `definition` keys of the dashboard, at any depth. */
const queries = (value: unknown): ReadonlyArray<string> => {
  if (Array.isArray(value)) return value.flatMap(queries)
  if (typeof value !== "object" || value === null) return []
  return Object.entries(value).flatMap(([key, v]) =>
    typeof v === "string" ? (key === "expr" || key === "query" || key === "definition" ? [v] : []) : queries(v))
}

const metricNames = (expr: string): ReadonlyArray<string> => expr.match(/\bcartero_[a-z0-9_]+/g) ?? []

describe("the Grafana dashboard (docs/grafana/cartero.json)", () => {
  it.live("names only metrics that a running MTA exports after one message; the docs describe every family", () =>
    Effect.gen(function*() {
      const dashboard: unknown = JSON.parse(Fs.readFileSync(Path.join(root, "docs/grafana/cartero.json"), "utf8"))
      const names = new Set(queries(dashboard).flatMap(metricNames))
      assert.isAtLeast(names.size, 30)

      const dataDir = yield* tempDir
      const env = {
        CARTERO_SMTP_PORT: "0",
        CARTERO_HTTP_PORT: "0",
        CARTERO_DATA_DIR: dataDir,
        CARTERO_HOSTNAME: "mx.test",
        CARTERO_LOCAL_DOMAINS: "example.test",
        CARTERO_TRUSTED_NETWORKS: "127.0.0.0/8",
        CARTERO_LOG_LEVEL: "warn",
        // Remote mail stays queued: no DNS server answers, so delivery defers it.
        CARTERO_DNS_SERVERS: "127.0.0.1:9",
        CARTERO_DNS_TIMEOUT: "200ms"
      }
      const { mx, base } = yield* startApp(env)

      const transport = nodemailer.createTransport({ host: mx.host, port: mx.port, secure: false, ignoreTLS: true })
      yield* Effect.promise(() =>
        transport.sendMail({
          envelope: { from: "alice@example.test", to: ["bob@example.test", "carol@remote.test"] },
          raw: "From: alice@example.test\r\nTo: bob@example.test\r\nSubject: dashboard\r\n\r\nhello\r\n"
        })
      ).pipe(Effect.ensuring(Effect.sync(() => transport.close())), Effect.timeout("20 seconds"))

      const scrape = yield* Effect.promise(async () => (await fetch(`${base}/metrics`)).text())
      const missing = [...names].filter((name) => !new RegExp(`^${name}[{ ]`, "m").test(scrape))
      assert.deepStrictEqual(missing, [], "metrics named by the dashboard but absent from /metrics")

      const docs = Fs.readFileSync(Path.join(root, "docs/operations.md"), "utf8")
      const families = [...scrape.matchAll(/^# TYPE (cartero_[a-z0-9_]+) /gm)].map((m) => m[1] ?? "")
      assert.isAtLeast(families.length, 30)
      assert.deepStrictEqual(families.filter((name) => !docs.includes(`\`${name}\``)), [], "metric families not described in docs/operations.md")
    }).pipe(Effect.scoped))
})
