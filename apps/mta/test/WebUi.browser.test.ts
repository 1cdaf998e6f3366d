/**
 * The web UI in a real browser (Debian's chromium via playwright-core) against the reference app started
 * in-process, with real SMTP in and out. Every wait is on a condition of the page, bounded (`Browser.waitMillis`).
 */
import { PasswordHash } from "@cartero/plugin-auth"
import { SmtpSink, TempDir } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Fs from "node:fs"
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

/** A multipart message: an HTML body that tries to run script, and a binary attachment. */
const hostileMail = (attachment: Buffer) =>
  [
    "From: Alice <alice@example.test>",
    "To: Bob <bob@example.test>",
    "Subject: Quarterly figures",
    "MIME-Version: 1.0",
    "Content-Type: multipart/mixed; boundary=outer",
    "",
    "--outer",
    "Content-Type: text/html; charset=utf-8",
    "",
    "<p id=\"hello\">Hello <b>Bob</b>, the figures are attached.</p>",
    "<script>document.title = 'pwned'; console.log('pwned by script')</script>",
    "<img src=\"x\" onerror=\"console.log('pwned by onerror')\">",
    "<img src=\"https://tracker.example/pixel.gif\">",
    "--outer",
    "Content-Type: application/octet-stream; name=figures.bin",
    "Content-Disposition: attachment; filename=figures.bin",
    "Content-Transfer-Encoding: base64",
    "",
    attachment.toString("base64").replace(/.{76}/g, "$&\r\n"),
    "--outer--",
    ""
  ].join("\r\n")

describe("web UI: mail", () => {
  it.live("mail sent over SMTP appears live, opens; the HTML's script does not run; the attachment downloads byte for byte", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDir
      const { base, mx } = yield* Browser.startApp({
        CARTERO_SMTP_PORT: "0",
        CARTERO_HTTP_PORT: "0",
        CARTERO_DATA_DIR: dataDir,
        CARTERO_HOSTNAME: "mx.test",
        CARTERO_LOCAL_DOMAINS: "example.test",
        CARTERO_LOG_LEVEL: "warn"
      })
      const chromium = yield* Browser.browser
      const { page, log } = yield* Browser.page(chromium)
      yield* Browser.run(async () => {
        await page.goto(`${base}/`)
        await page.locator("[data-testid=live-status]", { hasText: "live" }).waitFor()
        // Set in the page now: still there at the end proves the page was never reloaded.
        await page.evaluate(() => Object.assign(globalThis, { carteroLoadedOnce: true }))
      })

      const attachment = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919 + 13) % 256))
      yield* Browser.send(mx, { from: "alice@example.test", to: ["bob@example.test"] }, hostileMail(attachment))

      const downloaded = yield* Browser.run(async () => {
        // Live: the mailbox and the message appear without a reload.
        await page.locator("[data-testid=mailbox][data-mailbox='bob@example.test']").waitFor()
        const row = page.locator("[data-testid=message-row]", { hasText: "Quarterly figures" })
        await row.click()
        await page.locator("[data-testid=message-subject]", { hasText: "Quarterly figures" }).waitFor()

        // The HTML, in a sandboxed frame without scripts: the text is there, the script did nothing.
        const frame = page.locator("[data-testid=html-body]")
        const sandbox = await frame.getAttribute("sandbox")
        if (sandbox === null || sandbox.includes("allow-scripts") || sandbox.includes("allow-same-origin")) {
          throw new Error(`the HTML frame's sandbox allows too much: ${sandbox}`)
        }
        const srcdoc = (await frame.getAttribute("srcdoc")) ?? ""
        if (!srcdoc.includes("Content-Security-Policy") || !srcdoc.includes("default-src 'none'")) {
          throw new Error("the HTML frame has no CSP of its own")
        }
        await page.locator("[data-testid=remote-blocked]").waitFor()
        await page.frameLocator("[data-testid=html-body]").locator("p", { hasText: "Hello Bob, the figures are attached." }).waitFor()

        // Opened, it is seen: the mailbox has no unread message left.
        await page.locator("[data-testid=mailbox][data-mailbox='bob@example.test'] .badge").waitFor({ state: "detached" })

        await page.locator("[data-tab=attachments]").click()
        const [download] = await Promise.all([
          page.waitForEvent("download"),
          page.locator("[data-testid=attachment]", { hasText: "figures.bin" }).click()
        ])
        const path = await download.path()
        return { name: download.suggestedFilename(), bytes: Fs.readFileSync(path) }
      })
      assert.strictEqual(downloaded.name, "figures.bin")

      // Search: a subject term keeps it, another hides it.
      yield* Browser.run(async () => {
        const search = page.getByRole("searchbox", { name: "Search" })
        const row = page.locator("[data-testid=message-row]", { hasText: "Quarterly figures" })
        await search.fill("subject:quarterly")
        await page.locator(".summary", { hasText: /^1 message$/ }).waitFor()
        await row.waitFor()
        await search.fill("subject:holidays")
        await page.locator(".summary", { hasText: /^0 messages$/ }).waitFor()
        await row.waitFor({ state: "detached" })
      })
      assert.isTrue(downloaded.bytes.equals(attachment), "the downloaded attachment has the sent bytes")

      const state = yield* Browser.run(async () => ({
        title: await page.title(),
        loadedOnce: await page.evaluate(() => (globalThis as { carteroLoadedOnce?: boolean }).carteroLoadedOnce === true)
      }))
      assert.strictEqual(state.title, "Cartero", "the mail's script did not change the page")
      assert.isTrue(state.loadedOnce, "the page was not reloaded")
      assert.deepStrictEqual(log.filter((l) => /pwned|pageerror|dialog/.test(l)), [])

      // The API served sanitised HTML: no script, no handler, no remote image (its address kept aside, not loaded).
      const view = yield* Effect.promise(async () => {
        const mailboxes = await (await fetch(`${base}/api/mailboxes/${encodeURIComponent("bob@example.test")}/messages`)).json() as {
          messages: ReadonlyArray<{ id: string }>
        }
        const id = mailboxes.messages[0]?.id ?? ""
        return await (await fetch(`${base}/api/mailboxes/${encodeURIComponent("bob@example.test")}/messages/${encodeURIComponent(id)}`)).json() as { html?: string }
      })
      assert.include(view.html ?? "", "Hello")
      assert.notMatch(view.html ?? "", /<script|onerror|\ssrc="https?:/i)
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
        // The app's requests carry the credentials too: the queue's numbers, and the live stream.
        await page.locator("[data-testid=stat-messages]", { hasText: /^0$/ }).waitFor()
        await page.locator("[data-testid=live-status]", { hasText: "live" }).waitFor()
      })
      assert.deepStrictEqual(log.filter((l) => l.startsWith("pageerror")), [])
    }).pipe(Effect.scoped), 90_000)
})
