import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { authenticate, type DNSResolver } from "mailauth"
import { spawnSync } from "node:child_process"
import { Resolver } from "node:dns/promises"
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import * as os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import * as BenchMessage from "../src/BenchMessage.ts"
import * as Cartero from "../src/Cartero.ts"
import * as LoadGenerator from "../src/LoadGenerator.ts"
import * as Recipe from "../src/Recipe.ts"
import * as ServerProcess from "../src/ServerProcess.ts"

const options: Omit<Cartero.Options, "recipe" | "dnsServers"> = {
  scenario: "accept",
  store: "sqlite",
  redisUrl: undefined,
  recipientsDomain: "bench.test",
  size: 4096,
  relayTo: { host: "127.0.0.1", port: 2526 },
  deliveryWorkers: undefined,
  processes: 1,
  queuePrefix: "cartero-bench-test:"
}

describe("Cartero.environment per recipe", () => {
  it("relay: trusted loopback, remote recipients, no config file, the app's own DNS", () => {
    const env = Cartero.environment({ ...options, recipe: "relay", dnsServers: undefined }, 2525, "/tmp/x")
    assert.strictEqual(env["CARTERO_TRUSTED_NETWORKS"], "127.0.0.0/8")
    assert.strictEqual(env["CARTERO_LOCAL_DOMAINS"], "localhost")
    assert.strictEqual(env["CARTERO_CONFIG"], "none")
    assert.isUndefined(env["CARTERO_DNS_SERVERS"])
  })

  it("bare-mx: no trusted network, the recipients' domain local, the bench's DNS, no config file", () => {
    const env = Cartero.environment({ ...options, recipe: "bare-mx", dnsServers: "127.0.0.1:5353" }, 2525, "/tmp/x")
    // Empty counts as unset for the app: nobody may relay, so filtering plugins do not skip the client.
    assert.strictEqual(env["CARTERO_TRUSTED_NETWORKS"], "")
    assert.strictEqual(env["CARTERO_LOCAL_DOMAINS"], "bench.test")
    assert.strictEqual(env["CARTERO_CONFIG"], "none")
    assert.strictEqual(env["CARTERO_DNS_SERVERS"], "127.0.0.1:5353")
  })

  it("policy plugins' Redis keys live under the spawn's prefix, deleted with it", () => {
    const env = Cartero.environment({ ...options, recipe: "mx", dnsServers: undefined }, 2525, "/tmp/x")
    assert.strictEqual(env["CARTERO_POLICY_PREFIX"], "cartero-bench-test:policy:")
  })

  it("mx: the same, with the recipe's config file", () => {
    const env = Cartero.environment({ ...options, recipe: "mx", dnsServers: "127.0.0.1:5353" }, 2525, "/tmp/x")
    assert.strictEqual(env["CARTERO_TRUSTED_NETWORKS"], "")
    assert.strictEqual(env["CARTERO_CONFIG"], Recipe.configFile)
    assert.isTrue(existsSync(Recipe.configFile))
    // The recipe's own limits (200 messages an hour per client) would refuse the run: out of reach, still counted.
    assert.strictEqual(env["CARTERO_RATE_LIMIT_CLIENT_MESSAGES"], "1000000000/1h")
    assert.strictEqual(env["CARTERO_DNSBL_ZONES"], "bl.bench.test=127.0.0.[2..11]")
    assert.strictEqual(env["CARTERO_DNSBL_CHECK_PRIVATE"], "true")
  })
})

/**
 * Node's resolver (mailauth's default) asking the FakeDns server: independent of the app's DNS client. The records
 * of the recipe are TXT (SPF, DKIM, DMARC) and A.
 */
const resolverFor = (nameserver: string): DNSResolver => {
  const resolver = new Resolver({ timeout: 2000, tries: 1 })
  resolver.setServers([nameserver])
  return (name, type) =>
    type === "TXT"
      ? resolver.resolveTxt(name)
      : type === "A"
      ? resolver.resolve4(name)
      : Promise.reject(Object.assign(new Error(`${type} ${name}: not served here`), { code: "ENOTFOUND" }))
}

describe("the MX recipes' mail", () => {
  it.live("is spf=pass dkim=pass dmarc=pass after stamping, and exactly --size bytes", () =>
    Effect.gen(function*() {
      const world = yield* Recipe.start
      const template = yield* Effect.promise(() =>
        BenchMessage.renderSigned({ size: 4096, runId: "0badcafe", from: Recipe.sender, to: "rcpt@bench.test", sign: world.sign })
      )
      assert.strictEqual(template.messageSize, 4096)
      assert.strictEqual(template.bytes.length, 4096 + 3)
      // The stamped fields (Message-ID, X-Bench-Id) change per send: they must not break the signature.
      BenchMessage.stamp(template, 1234567, BenchMessage.nowMicros())
      const message = template.bytes.subarray(0, template.messageSize)
      assert.strictEqual(BenchMessage.parseHead(message.toString("latin1"))?.id, "0badcafe-0001234567")
      const result = yield* Effect.promise(() =>
        authenticate(message, {
          ip: "127.0.0.1",
          helo: Recipe.helo,
          sender: Recipe.sender,
          mta: "mx.bench.test",
          resolver: resolverFor(world.nameserver)
        })
      )
      assert.strictEqual(result.spf && result.spf.status.result, "pass")
      assert.deepStrictEqual(result.dkim.results.map((r) => r.status.result), ["pass"])
      assert.strictEqual(result.dmarc && result.dmarc.status.result, "pass")
      assert.include(yield* Effect.promise(() => world.queryLog()), `TXT _dmarc.${Recipe.senderDomain}`)
    }).pipe(Effect.scoped))

  it.live("fails DKIM when a signed field changes (the check above can fail), DMARC still passing on SPF", () =>
    Effect.gen(function*() {
      const world = yield* Recipe.start
      const template = yield* Effect.promise(() =>
        BenchMessage.renderSigned({ size: 2048, runId: "0badcafe", from: Recipe.sender, to: "rcpt@bench.test", sign: world.sign })
      )
      // Change a signed field instead: Subject.
      const text = template.bytes.subarray(0, template.messageSize).toString("latin1").replace("Subject: cartero bench", "Subject: Cartero bench")
      const result = yield* Effect.promise(() =>
        authenticate(text, { ip: "127.0.0.1", helo: Recipe.helo, sender: Recipe.sender, mta: "mx.bench.test", resolver: resolverFor(world.nameserver) })
      )
      assert.deepStrictEqual(result.dkim.results.map((r) => r.status.result), ["fail"])
      assert.strictEqual(result.spf && result.spf.status.result, "pass")
      assert.strictEqual(result.dmarc && result.dmarc.status.result, "pass")
    }).pipe(Effect.scoped))
})

const appDir = fileURLToPath(new URL("../../mta/", import.meta.url))

/** Builds the app with the recipe into a directory of this test's own (under apps/mta, where packages resolve). */
const buildWithRecipe = (outdir: string) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const built = spawnSync(process.execPath, ["scripts/build.mjs", "--outdir", outdir], {
        cwd: appDir,
        env: { ...process.env, CARTERO_CONFIG: Recipe.configFile },
        encoding: "utf8",
        timeout: 120_000
      })
      assert.strictEqual(built.status, 0, built.stderr)
      return Path.join(appDir, outdir, "main.mjs")
    }),
    () => Effect.sync(() => rmSync(Path.join(appDir, outdir), { recursive: true, force: true }))
  )

describe("the mx recipe (docs/filtering.md's inbound MX), built and run as the bench runs it", () => {
  it.live("type-checks, bundles, and stores every signed message in Maildir", () =>
    Effect.gen(function*() {
      const main = yield* buildWithRecipe(`dist-bench-recipe-${process.pid}`)
      const world = yield* Recipe.start
      const dataDir = yield* Effect.acquireRelease(
        Effect.sync(() => mkdtempSync(Path.join(os.tmpdir(), "cartero-bench-recipe-"))),
        (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
      )
      const port = yield* ServerProcess.freePort()
      const { command, args } = ServerProcess.command(main, [])
      yield* ServerProcess.spawn({
        name: "cartero",
        command,
        args,
        cwd: appDir,
        env: Cartero.environment({ ...options, recipe: "mx", dnsServers: world.nameserver }, port, dataDir),
        readiness: { _tag: "Greets", host: "127.0.0.1", port },
        startTimeoutMs: 60_000
      })
      const result = yield* Effect.promise(() =>
        LoadGenerator.run({
          host: "127.0.0.1",
          port,
          concurrency: 2,
          messagesPerConnection: 3,
          size: 4096,
          pipelining: true,
          newConnectionPerMessage: false,
          from: Recipe.sender,
          to: "rcpt@bench.test",
          ehlo: Recipe.helo,
          sign: world.sign,
          readTimeoutMs: 20_000,
          deadlineMs: 60_000
        })
      )
      assert.deepStrictEqual(result.errorSamples, [])
      assert.strictEqual(result.accepted, 6)
      const inbox = Path.join(dataDir, "mail", "bench.test", "rcpt", "Maildir", "new")
      const stored = readdirSync(inbox).map((f) => readFileSync(Path.join(inbox, f), "latin1"))
      assert.strictEqual(stored.length, 6)
      for (const message of stored) {
        // The DMARC plugin's one field, with what SPF, the DKIM verifier and DMARC found: the full path ran.
        const results = /^Authentication-Results: cartero\.bench\.invalid;[^]*?\r\n(?=\S)/m.exec(message)?.[0] ?? "(none)"
        assert.match(results, /\bspf=pass\b/)
        assert.match(results, /\bdkim=pass\b/)
        assert.match(results, /\bdmarc=pass\b/)
        assert.match(message, /^Received-SPF: pass /m)
      }
      // The plugins asked: the blocklist for the loopback client (checkPrivate) and the DKIM key.
      const asked = yield* Effect.promise(() => world.queryLog())
      assert.include(asked, "A 1.0.0.127.bl.bench.test")
      assert.include(asked, `TXT ${Recipe.selector}._domainkey.${Recipe.senderDomain}`)
    }).pipe(Effect.scoped), 180_000)
})
