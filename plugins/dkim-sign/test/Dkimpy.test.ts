/**
 * Differential check: our signatures, as received after our own transport, verified by dkimpy (Python, Debian
 * package `python3-dkim`), an implementation that shares no code with mailauth. The DKIM records are handed to it
 * through its `dnsfunc` hook, so no DNS is involved.
 *
 * `.ci/run` installs the package. Elsewhere the test is skipped with a loud message when dkimpy cannot be
 * imported; with CI=true a missing dkimpy fails the run instead of passing silently.
 */
import { TempDir } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFile, execFileSync } from "node:child_process"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { ed25519, rsa } from "./support/fixtures.ts"
import { deliverSigned, trickyMessage } from "./support/transport.ts"

// Debian's interpreter: a pyenv `python3` earlier on the PATH does not see Debian's dist-packages.
const python = "/usr/bin/python3"
const script = fileURLToPath(new URL("./support/dkimpy_verify.py", import.meta.url))
const required = process.env["CI"] === "true"

/** dkimpy with Ed25519 support (PyNaCl) importable? */
const available = (() => {
  try {
    execFileSync(python, ["-c", "import dkim, nacl"], { stdio: "ignore", timeout: 10_000 })
    return true
  } catch {
    return false
  }
})()
if (!available) {
  process.stderr.write(`\n!!! dkimpy (Debian package python3-dkim) is not importable by ${python}: the differential DKIM test is SKIPPED${required ? " — and CI=true, so it FAILS" : ""}\n\n`)
}

interface Verdict {
  readonly selector: string
  readonly domain: string
  readonly algorithm: string
  readonly ok: boolean
  readonly error: string | null
}

/** Runs dkimpy on `message` with the TXT records of `zones`. */
const dkimpy = (message: Uint8Array, zones: Readonly<Record<string, { readonly TXT?: ReadonlyArray<string | ReadonlyArray<string>> }>>) =>
  Effect.gen(function*() {
    const dir = yield* TempDir.make("cartero-dkimpy-")
    const messageFile = Path.join(dir, "message.eml")
    const recordsFile = Path.join(dir, "records.json")
    const records = Object.fromEntries(Object.entries(zones).map(([name, zone]) => {
      const [txt = ""] = zone.TXT ?? []
      return [name, typeof txt === "string" ? txt : txt.join("")]
    }))
    yield* Effect.promise(() => Promise.all([Fs.writeFile(messageFile, message), Fs.writeFile(recordsFile, JSON.stringify(records))]))
    const stdout = yield* Effect.callback<string, Error>((resume) => {
      const child = execFile(python, [script, messageFile, recordsFile], { timeout: 20_000, killSignal: "SIGKILL" }, (error, out, err) =>
        resume(error === null ? Effect.succeed(out) : Effect.fail(new Error(`dkimpy failed: ${error.message}\n${err}`))))
      return Effect.sync(() => {
        if (child.exitCode === null) child.kill("SIGKILL")
      })
    })
    return JSON.parse(stdout) as ReadonlyArray<Verdict>
  }).pipe(Effect.scoped, Effect.orDie)

describe("DkimSign against dkimpy (differential)", () => {
  it.live.skipIf(!available && !required)("dkimpy verifies our RSA and Ed25519 signatures as received over SMTP, and rejects a tampered copy", () =>
    Effect.gen(function*() {
      const { received, zones } = yield* deliverSigned([rsa(), ed25519()], trickyMessage)
      const verdicts = yield* dkimpy(received, zones)
      assert.deepStrictEqual(
        verdicts.map((v) => [v.selector, v.domain, v.algorithm, v.ok, v.error]),
        [["rsa1", "example.test", "rsa-sha256", true, null], ["ed1", "example.test", "ed25519-sha256", true, null]]
      )
      // The same check must be able to fail: a forged Subject above the signed one (oversigned), a changed body.
      const forged = new Uint8Array(Buffer.concat([Buffer.from("Subject: Urgent wire transfer\r\n"), received]))
      assert.deepStrictEqual((yield* dkimpy(forged, zones)).map((v) => v.ok), [false, false])
      const altered = Buffer.from(Buffer.from(received).toString("latin1").replace("trailing spaces", "trailing space5"), "latin1")
      assert.deepStrictEqual((yield* dkimpy(altered, zones)).map((v) => v.ok), [false, false])
    }).pipe(Effect.scoped))

  it.live.skipIf(!available && !required)("dkimpy agrees with a custom header list and no oversigning", () =>
    Effect.gen(function*() {
      const { received, zones } = yield* deliverSigned([ed25519(), rsa()], trickyMessage, { headers: ["From", "To", "Subject", "Date", "Content-Type"], oversign: [] })
      assert.deepStrictEqual((yield* dkimpy(received, zones)).map((v) => [v.algorithm, v.ok]), [["ed25519-sha256", true], ["rsa-sha256", true]])
    }).pipe(Effect.scoped))
})
