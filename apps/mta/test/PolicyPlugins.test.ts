/**
 * The policy plugins in the reference app, from a config: the app provides the `PolicyStore` (SQLite in the data
 * directory, or Redis beside the queue under `CARTERO_POLICY_PREFIX`) and the plugins read their settings.
 */
import { Purge } from "@cartero/queue-redis"
import { Greylist } from "@cartero/plugin-greylist"
import { OutboundRateLimit, RateLimit } from "@cartero/plugin-rate-limit"
import { SmtpServer } from "@cartero/server"
import { TempDir, Transcript } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Context, Effect, Layer } from "effect"
import { randomBytes } from "node:crypto"
import { existsSync } from "node:fs"
import * as Path from "node:path"
import { defaults, defineConfig } from "../src/config.ts"
import * as MtaApp from "../src/MtaApp.ts"

const redisUrl = process.env["CARTERO_REDIS_URL"] ?? "redis://127.0.0.1:6379"

const config = defineConfig({
  plugins: [RateLimit.pluginConfig, Greylist.pluginConfig, ...defaults.plugins],
  outbound: [OutboundRateLimit.pluginConfig, ...defaults.outbound]
})

const startApp = (env: Record<string, string>) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(MtaApp.MtaApp.layerWith(config).pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))))
    const mx = Context.get(context, SmtpServer.SmtpServer).address("mx")
    if (mx === undefined) return yield* Effect.die("no MX listener")
    return mx
  })

const env = (dataDir: string): Record<string, string> => ({
  CARTERO_SMTP_PORT: "0",
  CARTERO_DATA_DIR: dataDir,
  CARTERO_HOSTNAME: "mx.test",
  CARTERO_LOCAL_DOMAINS: "example.test",
  CARTERO_LOG_LEVEL: "warn",
  CARTERO_GREYLIST_DELAY: "10m",
  CARTERO_RATE_LIMIT_CLIENT_MESSAGES: "1/1h"
})

const dialog = `
  <~ 220
  -> EHLO client.test
  <~ 250
  -> MAIL FROM:<alice@remote.test>
  <- 250 2.1.0 Accepted
  -> RCPT TO:<bob@example.test>
  <- 451 4.7.1 Greylisted, please try again in 600 s
  -> RCPT TO:<postmaster@example.test>
  <- 451 4.7.1 Greylisted, please try again in 600 s
  -> RSET
  <~ 250
  -> MAIL FROM:<alice@remote.test>
  <- 450 4.7.1 Too many messages from 127.0.0.1, try again in * s
  -> QUIT
  <~ 221
`

describe("policy plugins in the reference app", () => {
  it.live("on SQLite: rate limits and greylisting from the settings, the triplets in <data dir>/policy.sqlite", () =>
    Effect.gen(function*() {
      const dataDir = yield* TempDir.make()
      const mx = yield* startApp(env(dataDir))
      yield* Transcript.run(mx, dialog)
      assert.isTrue(existsSync(Path.join(dataDir, "policy.sqlite")))
    }).pipe(Effect.scoped))

  it.live("on Redis: the policy store is the queue's Redis under CARTERO_POLICY_PREFIX", () => {
    const id = randomBytes(6).toString("hex")
    const queuePrefix = `cartero-test:app-queue:${id}:`
    const policyPrefix = `cartero-test:app-policy:${id}:`
    const cleanup = Effect.promise(() => Promise.all([Purge.prefix(redisUrl, queuePrefix), Purge.prefix(redisUrl, policyPrefix)]))
    return Effect.gen(function*() {
      const dataDir = yield* TempDir.make()
      const mx = yield* startApp({ ...env(dataDir), CARTERO_REDIS_URL: redisUrl, CARTERO_QUEUE_PREFIX: queuePrefix, CARTERO_POLICY_PREFIX: policyPrefix })
      yield* Transcript.run(mx, dialog)
      assert.isFalse(existsSync(Path.join(dataDir, "policy.sqlite")))
      // Two triplets greylisted and one counter, nothing else, under the policy prefix.
      assert.strictEqual(yield* Effect.promise(() => Purge.prefix(redisUrl, policyPrefix)), 3)
    }).pipe(Effect.scoped, Effect.ensuring(cleanup))
  })
})
