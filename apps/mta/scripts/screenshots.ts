/**
 * `pnpm --filter @cartero/mta screenshots`: the web UI's main pages as PNG files in docs/screenshots/, for the
 * README and docs/operations.md. Starts the reference app in-process on a temporary data directory (HTTP and SMTP on
 * free loopback ports), sends it a few sample messages over SMTP (one to a destination that defers it), and
 * photographs the pages with Debian's chromium (the browser tests' harness, test/support/Browser.ts).
 */
import { SmtpSink, TempDir } from "@cartero/testing"
import { Effect } from "effect"
import * as Path from "node:path"
import * as Browser from "../test/support/Browser.ts"

const outDir = Path.resolve(import.meta.dirname, "..", "..", "..", "docs", "screenshots")

const html = (subject: string, from: string, to: string, body: string, date: string) =>
  [
    `From: ${from}`,
    `To: ${to}`,
    `Subject: ${subject}`,
    `Date: ${date}`,
    "MIME-Version: 1.0",
    "Content-Type: multipart/mixed; boundary=b1",
    "",
    "--b1",
    "Content-Type: multipart/alternative; boundary=b2",
    "",
    "--b2",
    "Content-Type: text/plain; charset=utf-8",
    "",
    body.replace(/<\/(h2|p|tr)>/g, "\r\n").replace(/<\/t[dh]>/g, " ").replace(/<[^>]+>/g, "").trim(),
    "--b2",
    "Content-Type: text/html; charset=utf-8",
    "",
    body,
    "--b2--",
    "--b1",
    "Content-Type: text/csv; name=report.csv",
    "Content-Disposition: attachment; filename=report.csv",
    "",
    "day,sent,deferred\r\nMon,1204,3\r\nTue,1311,0",
    "--b1--",
    ""
  ].join("\r\n")

const plain = (subject: string, from: string, to: string, body: string, date: string) =>
  `From: ${from}\r\nTo: ${to}\r\nSubject: ${subject}\r\nDate: ${date}\r\n\r\n${body}\r\n`

const program = Effect.gen(function*() {
  const sink = yield* SmtpSink.make({ connect: () => SmtpSink.reply(421, "4.7.0 mx.partner.test: too many connections, try later", { close: true }) })
  const dataDir = yield* TempDir.make()
  const { base, mx } = yield* Browser.startApp({
    CARTERO_SMTP_PORT: "0",
    CARTERO_HTTP_PORT: "0",
    CARTERO_DATA_DIR: dataDir,
    CARTERO_HOSTNAME: "mx.example.test",
    CARTERO_LOCAL_DOMAINS: "example.test",
    CARTERO_TRUSTED_NETWORKS: "127.0.0.0/8",
    CARTERO_LOG_LEVEL: "error",
    CARTERO_STATIC_ROUTES: `partner.test=127.0.0.1:${sink.port}`,
    CARTERO_OUTBOUND_TLS: "none",
    CARTERO_DNS_SERVERS: "127.0.0.1:9",
    CARTERO_DNS_TIMEOUT: "200ms"
  })
  const now = Date.now()
  const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toUTCString()
  const mails: ReadonlyArray<[string, string]> = [
    ["ops@example.test", plain("Nightly backup finished", "Backup <backup@example.test>", "ops@example.test", "All 14 volumes copied in 42 min.", at(300))],
    ["bob@example.test", plain("Lunch on Thursday?", "Alice <alice@example.test>", "Bob <bob@example.test>", "Shall we try the new place on the corner?", at(180))],
    ["bob@example.test", plain("Re: release 0.4", "Carol <carol@example.test>", "Bob <bob@example.test>", "Tagged and pushed. Notes are in the wiki.", at(95))],
    ["bob@example.test", html("Weekly delivery report", "Reports <reports@example.test>", "Bob <bob@example.test>",
      "<h2 style=\"color:#1f5f8b\">Weekly delivery report</h2><p>2,515 messages delivered, <b>3 deferred</b>.</p><table border=1 cellpadding=4><tr><th>day</th><th>sent</th><th>deferred</th></tr><tr><td>Mon</td><td>1204</td><td>3</td></tr><tr><td>Tue</td><td>1311</td><td>0</td></tr></table><p>The CSV is attached.</p>",
      at(12))]
  ]
  for (const [to, raw] of mails) yield* Browser.send(mx, { from: "sender@example.test", to: [to] }, raw)
  for (const to of ["dave@partner.test", "erin@partner.test"]) {
    yield* Browser.send(mx, { from: "bob@example.test", to: [to] }, plain("Contract draft", "Bob <bob@example.test>", to, "See the draft attached.", at(1)))
  }

  const chromium = yield* Browser.browser
  const { page } = yield* Browser.page(chromium)
  yield* Browser.run(async () => {
    await page.goto(`${base}/#/mail/${encodeURIComponent("bob@example.test")}`)
    await page.locator("[data-testid=message-row]", { hasText: "Weekly delivery report" }).click()
    await page.frameLocator("[data-testid=html-body]").locator("h2", { hasText: "Weekly delivery report" }).waitFor()
    // Opened, it is seen: wait for the counts to say so.
    await page.locator("[data-testid=mailbox][data-mailbox='bob@example.test'] .badge", { hasText: /^2$/ }).waitFor()
    await page.locator("[data-testid=live-status]", { hasText: "live" }).waitFor()
    await page.screenshot({ path: Path.join(outDir, "mailbox.png") })
    await page.goto(`${base}/#/queue`)
    await page.locator("[data-testid=reasons]", { hasText: "too many connections" }).waitFor()
    await page.locator("[data-testid=queue-row]").first().locator("a.mono").click()
    await page.locator("[data-testid=queue-detail] [data-testid=recipient-state]").first().waitFor()
    await page.screenshot({ path: Path.join(outDir, "queue.png") })
  })
  yield* Effect.sync(() => process.stdout.write(`screenshots written to ${outDir}\n`))
})

Effect.runPromise(Effect.scoped(program)).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`screenshots: ${String(error)}\n`)
    process.exit(1)
  }
)
