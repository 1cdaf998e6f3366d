/**
 * A real browser for tests: Debian's chromium driven by playwright-core (never a downloaded browser). Imported as
 * `@cartero/testing/Browser`, apart from the kit's index, so that only browser tests load playwright.
 *
 * Chromium is installed by `.ci/run` and `scripts/test.sh` when missing; `CARTERO_CHROMIUM` names another binary.
 * Without one, a test fails with that message rather than being skipped silently.
 *
 * ```ts
 * const chromium = yield* Browser.browser
 * const { page, log } = yield* Browser.page(chromium)
 * yield* Browser.run(async () => {
 *   await page.goto(base)
 *   await page.locator("[data-testid=message-row]", { hasText: "Hello" }).waitFor()
 * })
 * ```
 *
 * @since 0.1.0
 */
import { Effect, type Scope } from "effect"
import * as Fs from "node:fs"
import { type Browser, chromium, type Page } from "playwright-core"

/** The chromium binary. */
export const executablePath = process.env["CARTERO_CHROMIUM"] ?? "/usr/bin/chromium"

/** How long any single wait of a browser test may take (locators, navigation, downloads). */
export const waitMillis = 15_000

/** A headless chromium for the scope. */
export const browser: Effect.Effect<Browser, never, Scope.Scope> = Effect.acquireRelease(
  Effect.promise(async () => {
    if (!Fs.existsSync(executablePath)) {
      throw new Error(`no chromium at ${executablePath}: install Debian's chromium (apt-get install chromium; scripts/test.sh does) or set CARTERO_CHROMIUM`)
    }
    // Chromium refuses to run its sandbox as root (CI containers): only then without it.
    const asRoot = process.getuid?.() === 0
    return chromium.launch({ executablePath, args: asRoot ? ["--no-sandbox"] : [], timeout: 60_000 })
  }),
  (b) => Effect.promise(() => b.close())
)

/** Options of a page. */
export interface PageOptions {
  /** Answer HTTP basic auth challenges with these. */
  readonly httpCredentials?: { readonly username: string; readonly password: string }
}

/** A page in a context of its own, with bounded default waits; `log` collects console messages, uncaught errors and dialogs. */
export const page = (b: Browser, options: PageOptions = {}): Effect.Effect<{ readonly page: Page; readonly log: Array<string> }, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const context = await b.newContext({
        viewport: { width: 1280, height: 800 },
        acceptDownloads: true,
        ...(options.httpCredentials === undefined ? {} : { httpCredentials: { ...options.httpCredentials } })
      })
      const p = await context.newPage()
      p.setDefaultTimeout(waitMillis)
      const log: Array<string> = []
      p.on("console", (m) => void log.push(`${m.type()}: ${m.text()}`))
      p.on("pageerror", (e) => void log.push(`pageerror: ${e.message}`))
      p.on("dialog", (d) => {
        log.push(`dialog: ${d.message()}`)
        void d.dismiss()
      })
      return { page: p, log }
    }),
    ({ page: p }) => Effect.promise(() => p.context().close())
  )

/** Runs browser code; its failure (a wait that timed out, an assertion thrown) fails the test. */
export const run = <A>(f: () => Promise<A>): Effect.Effect<A> => Effect.promise(f)
