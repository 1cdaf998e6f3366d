/**
 * The web UI in a real browser (Debian's chromium via playwright-core) against the reference app started
 * in-process, with real SMTP in and out. Every wait is on a condition of the page, bounded (`Browser.waitMillis`).
 */
import { PasswordHash } from "@cartero/plugin-auth"
import { SmtpSink, TempDir } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Browser from "./support/Browser.ts"

const tempDir = TempDir.make()

describe("web UI: queue dashboard", () => {
  it.live("a deferred message shows with its reason; hold, release, then retry delivers it once the destination answers", () =>
    Effect.gen(function*() {
      // The destination refuses every transaction for now (421 at connect): the message is deferred.
      const sink = yield* SmtpSink.make({ connect: () => SmtpSink.reply(421, "4.3.2 not accepting mail now", { close: true }) })
      const dataDir = yield* tempDir
      const { base, mx } = yield* Browser.startApp({
        CARTERO_SMTP_PORT: "0",
        CARTERO_HTTP_PORT: "0",
        CARTERO_DATA_DIR: dataDir,
        CARTERO_HOSTNAME: "mx.test",
        CARTERO_LOCAL_DOMAINS: "example.test",
        CARTERO_TRUSTED_NETWORKS: "127.0.0.0/8",
        CARTERO_LOG_LEVEL: "warn",
        CARTERO_STATIC_ROUTES: `remote.test=127.0.0.1:${sink.port}`,
        CARTERO_OUTBOUND_TLS: "none",
        CARTERO_DNS_SERVERS: "127.0.0.1:9",
        CARTERO_DNS_TIMEOUT: "200ms"
      })
      const sent = yield* Browser.send(mx, { from: "alice@example.test", to: ["carol@remote.test"] },
        "From: alice@example.test\r\nTo: carol@remote.test\r\nSubject: queued\r\n\r\nhello\r\n")
      assert.strictEqual(sent.accepted.length, 1)

      const chromium = yield* Browser.browser
      const { page, log } = yield* Browser.page(chromium)
      yield* Browser.run(async () => {
        await page.goto(`${base}/#/queue`)
        const row = page.locator("[data-testid=queue-row]", { hasText: "alice@example.test" })
        // Deferred after the first attempt, with the destination's reply as the reason.
        await row.locator(".state-deferred").waitFor()
        await page.locator("[data-testid=reasons]", { hasText: "421 4.3.2 not accepting mail now" }).waitFor()
        await page.locator("[data-testid=by-domain]", { hasText: "remote.test" }).waitFor()
        await page.locator("[data-testid=stat-deferred]", { hasText: /^1$/ }).waitFor()

        // Open it: the recipient's state and last reply.
        await row.locator("a.mono").click()
        const state = page.locator("[data-testid=queue-detail] [data-testid=recipient-state]")
        await state.filter({ hasText: /^deferred$/ }).waitFor()

        await row.locator("button[data-action=hold]").click()
        await state.filter({ hasText: /^held$/ }).waitFor()
        await row.locator(".state-held").first().waitFor()
        await page.locator("[data-testid=stat-held]", { hasText: /^1$/ }).waitFor()

        await row.locator("button[data-action=release]").click()
        await state.filter({ hasText: /^deferred$/ }).waitFor()
      })

      // The destination answers now; "retry" makes delivery try at once instead of in a minute.
      yield* sink.setScript({})
      yield* Browser.run(async () => {
        const row = page.locator("[data-testid=queue-row]", { hasText: "alice@example.test" })
        await row.locator("button[data-action=retry]").click()
        // Delivered: the message leaves the queue, its detail says so.
        await row.waitFor({ state: "detached" })
        await page.locator("[data-testid=queue-detail]", { hasText: "No longer queued" }).waitFor()
      })
      const delivered = yield* sink.awaitMessages(1, "15 seconds")
      assert.deepStrictEqual(delivered[0]?.rcptTo, ["carol@remote.test"])
      assert.deepStrictEqual(log.filter((l) => l.startsWith("pageerror") || l.startsWith("dialog")), [])
    }).pipe(Effect.scoped), 90_000)
})

describe("web UI: credentials", () => {
  it.live("with CARTERO_HTTP_AUTH=required the page, its files, the API and the event stream take the users file's credentials", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDir
      const hash = yield* PasswordHash.hash("s3cret", { ...PasswordHash.defaults, N: 1024 })
      const { base } = yield* Browser.startApp({
        CARTERO_SMTP_PORT: "0",
        CARTERO_HTTP_PORT: "0",
        CARTERO_HTTP_AUTH: "required",
        CARTERO_AUTH_USERS: `operator:${hash}`,
        CARTERO_DATA_DIR: dataDir,
        CARTERO_LOG_LEVEL: "warn"
      })
      const refused = yield* Effect.promise(() => fetch(`${base}/`).then((r) => ({ status: r.status, challenge: r.headers.get("www-authenticate") })))
      assert.deepStrictEqual(refused, { status: 401, challenge: "Basic realm=\"cartero\", charset=\"UTF-8\"" })
      const chromium = yield* Browser.browser

      const { page, log } = yield* Browser.page(chromium, { httpCredentials: { username: "operator", password: "s3cret" } })
      yield* Browser.run(async () => {
        const response = await page.goto(`${base}/#/queue`)
        if (response?.status() !== 200) throw new Error(`the page answered ${response?.status()}`)
        // The app's requests carry the credentials too.
        await page.locator("[data-testid=stat-messages]", { hasText: /^0$/ }).waitFor()
      })
      assert.deepStrictEqual(log.filter((l) => l.startsWith("pageerror")), [])
    }).pipe(Effect.scoped), 90_000)
})
