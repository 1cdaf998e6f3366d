/**
 * The catcher's web UI in a real browser (`@cartero/testing/Browser`: Debian's chromium via playwright-core): mail
 * sent to any address with nodemailer shows up live, opens, and its HTML is shown sandboxed.
 */
import { SmtpServer } from "@cartero/server"
import { TempDir } from "@cartero/testing"
import * as Browser from "@cartero/testing/Browser"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Context, Effect, Layer } from "effect"
import nodemailer from "nodemailer"
import * as Catcher from "../src/Catcher.ts"

const tempDir = TempDir.make()

describe("the catcher's web UI", () => {
  it.live("mail from nodemailer to any domain appears live in the page and opens, its HTML sandboxed", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const env = { CARTERO_SMTP_PORT: "0", CARTERO_HTTP_PORT: "0", CARTERO_DATA_DIR: dir, CARTERO_LOG_LEVEL: "warn" }
      const context = yield* Layer.build(Catcher.layer.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))))
      const smtp = Context.get(context, SmtpServer.SmtpServer).address("mx")
      if (smtp === undefined) return yield* Effect.die("no SMTP listener")
      const base = `http://127.0.0.1:${Context.get(context, Catcher.HttpAddress).port}`

      const chromium = yield* Browser.browser
      const { page, log } = yield* Browser.page(chromium)
      yield* Browser.run(async () => {
        await page.goto(`${base}/`)
        await page.locator("[data-testid=live-status]", { hasText: "live" }).waitFor()
      })
      const info = yield* Effect.promise(() => {
        const transport = nodemailer.createTransport({ host: "127.0.0.1", port: smtp.port, secure: false, ignoreTLS: true })
        return transport.sendMail({
          from: "app@example.test",
          to: "new.user@gmail.com",
          subject: "Confirm your address",
          text: "Click the link to confirm.",
          html: "<p>Click <a href=\"https://app.example.test/confirm\">the link</a> to confirm.</p><script>document.title = 'pwned'</script>"
        }).finally(() => transport.close())
      })
      assert.deepStrictEqual(info.accepted, ["new.user@gmail.com"])
      yield* Browser.run(async () => {
        await page.locator("[data-testid=mailbox][data-mailbox='new.user@gmail.com']").click()
        await page.locator("[data-testid=message-row]", { hasText: "Confirm your address" }).click()
        await page.frameLocator("[data-testid=html-body]").locator("a", { hasText: "the link" }).waitFor()
        await page.locator("[data-tab=text]").click()
        await page.locator("[data-testid=text-body]", { hasText: "Click the link to confirm." }).waitFor()
      })
      assert.strictEqual(yield* Browser.run(() => page.title()), "Cartero")
      assert.deepStrictEqual(log.filter((l) => /pageerror|dialog/.test(l)), [])
    }).pipe(Effect.scoped), 90_000)
})
