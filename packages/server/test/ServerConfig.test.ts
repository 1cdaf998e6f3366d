import { Pipeline } from "@cartero/core"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Layer, References } from "effect"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { ServerConfig, ServerOptions, SmtpServer } from "../src/index.ts"
import { tls } from "./helpers.ts"

const withEnv = (env: Record<string, string>) => Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))

describe("ServerConfig.load", () => {
  it.effect("defaults: one MX listener, self-signed TLS in ./data", () =>
    Effect.gen(function*() {
      const options = yield* ServerConfig.load
      assert.strictEqual(options.listeners?.length, 1)
      const mx = options.listeners?.[0]
      assert.strictEqual(mx?.kind, "mx")
      assert.strictEqual(mx?.host, "127.0.0.1")
      assert.strictEqual(mx?.port, process.getuid?.() === 0 ? 25 : 2525)
      assert.deepStrictEqual(options.tls, { selfSigned: { dataDir: path.resolve("./data") } })
      assert.strictEqual(options.maxMessageSize, undefined)
    }).pipe(withEnv({})))

  it.effect("reads every variable", () =>
    Effect.gen(function*() {
      const options = yield* ServerConfig.load
      assert.deepStrictEqual(options, {
        hostname: "mx.example.test",
        listeners: [
          { kind: "mx", host: "0.0.0.0", port: 0 },
          { kind: "submission", host: "0.0.0.0", port: 587 },
          { kind: "smtps", host: "0.0.0.0", port: 465 }
        ],
        tls: { certFile: "/etc/c.pem", keyFile: "/etc/k.pem" },
        maxMessageSize: 10 * 1024 * 1024,
        maxRecipients: 50,
        maxHops: 30,
        spillThreshold: 1024 * 1024,
        spillDir: "/tmp/x/spill",
        maxLineLength: 4096,
        socketTimeout: 120_000,
        shutdownTimeout: 1_500,
        reverseDns: true,
        maxClients: 500,
        maxClientsPerIp: 20,
        maxConnectionRate: 30,
        softErrorLimit: 5,
        hardErrorLimit: 8,
        errorSleep: 250,
        junkCommandLimit: 40,
        dataTimeout: 300_000,
        sessionTimeout: 1_800_000,
        authFailureLimit: 4,
        authFailureWindow: 3_600_000
      })
    }).pipe(withEnv({
      CARTERO_SMTP_HOST: "0.0.0.0",
      CARTERO_SMTP_PORT: "0",
      CARTERO_SUBMISSION_PORT: "587",
      CARTERO_SMTPS_PORT: "465",
      CARTERO_HOSTNAME: "mx.example.test",
      CARTERO_DATA_DIR: "/tmp/x",
      CARTERO_MAX_MESSAGE_SIZE: "10M",
      CARTERO_MAX_RECIPIENTS: "50",
      CARTERO_MAX_HOPS: "30",
      CARTERO_SPILL_THRESHOLD: "1M",
      CARTERO_MAX_LINE_LENGTH: "4096",
      CARTERO_SMTP_TIMEOUT: "2m",
      CARTERO_SHUTDOWN_TIMEOUT: "1500ms",
      CARTERO_REVERSE_DNS: "yes",
      CARTERO_TLS_CERT: "/etc/c.pem",
      CARTERO_TLS_KEY: "/etc/k.pem",
      CARTERO_MAX_CLIENTS: "500",
      CARTERO_MAX_CLIENTS_PER_IP: "20",
      CARTERO_CONNECTION_RATE_LIMIT: "30",
      CARTERO_SOFT_ERROR_LIMIT: "5",
      CARTERO_HARD_ERROR_LIMIT: "8",
      CARTERO_ERROR_SLEEP: "250ms",
      CARTERO_JUNK_COMMAND_LIMIT: "40",
      CARTERO_DATA_TIMEOUT: "5m",
      CARTERO_SESSION_TIMEOUT: "30m",
      CARTERO_AUTH_FAILURE_LIMIT: "4",
      CARTERO_AUTH_FAILURE_WINDOW: "1h"
    })))

  it.effect("the limits are finite by default, with Postfix-like values", () =>
    Effect.gen(function*() {
      const options = yield* ServerConfig.load
      const resolved = ServerOptions.resolve(options)
      assert.deepStrictEqual(ServerOptions.describeLimits(resolved), {
        maxClients: 1000,
        maxClientsPerIp: 50,
        maxConnectionRate: "60/min",
        softErrorLimit: 10,
        hardErrorLimit: 20,
        errorSleep: "1s",
        junkCommandLimit: 100,
        dataTimeout: "10m",
        sessionTimeout: "1h",
        socketTimeout: "5m",
        authFailureLimit: "10/10m",
        maxAuthFailures: 3,
        maxMessageSize: 25 * 1024 * 1024,
        maxRecipients: 100,
        maxLineLength: 2048,
        maxHops: 100,
        spillThreshold: 256 * 1024
      })
    }).pipe(withEnv({})))

  it.effect("CARTERO_ERROR_SLEEP=0 turns the slow-down off; the soft limit follows a raised hard limit", () =>
    Effect.gen(function*() {
      const options = yield* ServerConfig.load
      assert.strictEqual(options.errorSleep, 0)
      assert.strictEqual(options.softErrorLimit, 40)
    }).pipe(withEnv({ CARTERO_ERROR_SLEEP: "0", CARTERO_HARD_ERROR_LIMIT: "50", CARTERO_SOFT_ERROR_LIMIT: "40" })))

  for (
    const [variable, value, message] of [
      ["CARTERO_SMTP_PORT", "abc", `CARTERO_SMTP_PORT: expected an integer 0-65535, got "abc"`],
      ["CARTERO_SMTP_PORT", "70000", `CARTERO_SMTP_PORT: expected an integer 0-65535, got "70000"`],
      ["CARTERO_SUBMISSION_PORT", "-1", `CARTERO_SUBMISSION_PORT: expected an integer 0-65535, got "-1"`],
      [
        "CARTERO_MAX_MESSAGE_SIZE",
        "lots",
        `CARTERO_MAX_MESSAGE_SIZE: expected a size in bytes such as 26214400, 512K or 25M, got "lots"`
      ],
      ["CARTERO_MAX_RECIPIENTS", "0", `CARTERO_MAX_RECIPIENTS: expected an integer 1-100000, got "0"`],
      ["CARTERO_SPILL_THRESHOLD", "1K", `CARTERO_SPILL_THRESHOLD: expected a size such as 256K or 1M (at least 16K), got "1K"`],
      ["CARTERO_MAX_HOPS", "0", `CARTERO_MAX_HOPS: expected an integer 1-1000, got "0"`],
      ["CARTERO_MAX_LINE_LENGTH", "100", `CARTERO_MAX_LINE_LENGTH: expected an integer 512-65536, got "100"`],
      ["CARTERO_SMTP_TIMEOUT", "soon", `CARTERO_SMTP_TIMEOUT: expected a duration such as 300s or 5m, got "soon"`],
      ["CARTERO_REVERSE_DNS", "maybe", `CARTERO_REVERSE_DNS: expected true or false, got "maybe"`],
      ["CARTERO_MAX_CLIENTS", "0", `CARTERO_MAX_CLIENTS: expected an integer 1-1000000, got "0"`],
      ["CARTERO_MAX_CLIENTS_PER_IP", "many", `CARTERO_MAX_CLIENTS_PER_IP: expected an integer 1-1000000, got "many"`],
      ["CARTERO_CONNECTION_RATE_LIMIT", "60/min", `CARTERO_CONNECTION_RATE_LIMIT: expected an integer 1-1000000, got "60/min"`],
      [
        "CARTERO_SOFT_ERROR_LIMIT",
        "21",
        `CARTERO_SOFT_ERROR_LIMIT: expected an integer 1-20 (at most CARTERO_HARD_ERROR_LIMIT), got "21"`
      ],
      ["CARTERO_HARD_ERROR_LIMIT", "0", `CARTERO_HARD_ERROR_LIMIT: expected an integer 1-1000, got "0"`],
      ["CARTERO_ERROR_SLEEP", "2m", `CARTERO_ERROR_SLEEP: expected a duration of at most 1m such as 1s or 500ms, got "2m"`],
      ["CARTERO_JUNK_COMMAND_LIMIT", "-5", `CARTERO_JUNK_COMMAND_LIMIT: expected an integer 1-100000, got "-5"`],
      ["CARTERO_DATA_TIMEOUT", "0", `CARTERO_DATA_TIMEOUT: expected a duration such as 10m, got "0"`],
      ["CARTERO_SESSION_TIMEOUT", "forever", `CARTERO_SESSION_TIMEOUT: expected a duration such as 1h, got "forever"`],
      ["CARTERO_AUTH_FAILURE_LIMIT", "1.5", `CARTERO_AUTH_FAILURE_LIMIT: expected an integer 1-100000, got "1.5"`],
      ["CARTERO_AUTH_FAILURE_WINDOW", "soon", `CARTERO_AUTH_FAILURE_WINDOW: expected a duration such as 10m, got "soon"`]
    ] as const
  ) {
    it.effect(`${variable}=${value} is refused with a message naming the variable`, () =>
      Effect.gen(function*() {
        const exit = yield* Effect.exit(ServerConfig.load)
        assert.isTrue(Exit.isFailure(exit))
        const error = yield* Effect.flip(ServerConfig.load)
        assert.strictEqual(error._tag, "InvalidSetting")
        assert.strictEqual(error.message, message)
      }).pipe(withEnv({ [variable]: value })))
  }

  it.effect("a certificate without its key is refused", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(ServerConfig.load)
      assert.strictEqual(error.message, `CARTERO_TLS_KEY: expected a PEM file path (CARTERO_TLS_CERT is set), got ""`)
    }).pipe(withEnv({ CARTERO_TLS_CERT: "/etc/c.pem" })))

  it.effect("size suffixes", () =>
    Effect.sync(() => {
      assert.strictEqual(ServerConfig.parseSize("1024"), 1024)
      assert.strictEqual(ServerConfig.parseSize("512K"), 512 * 1024)
      assert.strictEqual(ServerConfig.parseSize("25m"), 25 * 1024 * 1024)
      assert.strictEqual(ServerConfig.parseSize("10MiB"), 10 * 1024 * 1024)
      assert.strictEqual(ServerConfig.parseSize("1GB"), 1024 ** 3)
      assert.strictEqual(ServerConfig.parseSize("1.5M"), undefined)
      assert.strictEqual(ServerConfig.parseSize("0"), undefined)
    }))
})

describe("SmtpServer.SmtpServer.layerConfig", () => {
  it.live("starts from the environment (port 0, PEM files) and exposes the bound ports", () =>
    Effect.gen(function*() {
      const dir = yield* Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "cartero-server-")))
      yield* Effect.promise(() => fs.writeFile(path.join(dir, "key.pem"), tls.key))
      yield* Effect.promise(() => fs.writeFile(path.join(dir, "cert.pem"), tls.cert))
      const listeners = yield* Effect.gen(function*() {
        const server = yield* SmtpServer.SmtpServer
        return server.listeners
      }).pipe(
        Effect.provide(SmtpServer.SmtpServer.layerConfig.pipe(Layer.provide(Pipeline.Pipeline.layer([])))),
        withEnv({
          CARTERO_SMTP_PORT: "0",
          CARTERO_SUBMISSION_PORT: "0",
          CARTERO_HOSTNAME: "mx.test",
          CARTERO_TLS_CERT: path.join(dir, "cert.pem"),
          CARTERO_TLS_KEY: path.join(dir, "key.pem")
        }),
        Effect.provideService(References.MinimumLogLevel, "None")
      )
      yield* Effect.promise(() => fs.rm(dir, { recursive: true, force: true }))
      assert.deepStrictEqual(listeners.map((l) => l.kind), ["mx", "submission"])
      assert.isTrue(listeners.every((l) => l.port > 0 && l.host === "127.0.0.1"))
    }))

  it.live("a bad value stops start-up", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Effect.gen(function*() {
          yield* SmtpServer.SmtpServer
        }).pipe(
          Effect.provide(SmtpServer.SmtpServer.layerConfig.pipe(Layer.provide(Pipeline.Pipeline.layer([])))),
          withEnv({ CARTERO_SMTP_PORT: "twenty-five" })
        )
      )
      assert.strictEqual(error.message, `CARTERO_SMTP_PORT: expected an integer 0-65535, got "twenty-five"`)
    }))
})
