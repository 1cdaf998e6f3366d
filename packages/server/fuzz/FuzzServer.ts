/**
 * The server the fuzzer talks to: the real `SmtpServer` on loopback (port 0) with an MX listener and a trusted
 * submission listener (AUTH without TLS, so the AUTH code paths are reachable), a pipeline that accepts a few
 * domains (`Postmaster` included), checks one user's password and keeps no message. The default limits, but for
 * the connection rate (the fuzzer opens a connection per input) and the error sleep (errors are what it sends).
 *
 * @since 0.1.0
 */
import { type Hooks, Pipeline, Plugin, Store } from "@cartero/core"
import { Verdict } from "@cartero/smtp"
import { Effect, Layer } from "effect"
import { SmtpServer } from "../src/index.ts"
import type { ServerOptions } from "../src/index.ts"

const accepted = new Set(["example.test", "localhost", "mx.test", "xn--bcher-kva.test", "b\u00fccher.test"])

const hooks: Hooks.Hooks = {
  auth: (_connection, attempt) => Effect.succeed(attempt.username === "fuzz" && attempt.verify("fuzz") ? Verdict.accept() : Verdict.next),
  rcptTo: (_txn, rcpt) => Effect.succeed(accepted.has(rcpt.address.domain) ? Verdict.accept() : Verdict.next),
  queue: Store.make({
    takes: () => Effect.succeed(true),
    prepare: Effect.succeed,
    write: () => Effect.succeed(Verdict.accept()),
    undo: () => Effect.void
  })
}

/** The options of the fuzzed server; `overrides` for a run's own values. */
export const options = (overrides: ServerOptions.SmtpServerOptions = {}): ServerOptions.SmtpServerOptions => ({
  listeners: [
    { kind: "mx", host: "127.0.0.1", port: 0 },
    { kind: "submission", host: "127.0.0.1", port: 0, trusted: true, auth: "optional" }
  ],
  maxMessageSize: 64 * 1024,
  maxConnectionRate: 1_000_000,
  socketTimeout: "5 seconds",
  // A BDAT chunk size the fuzzer made huge swallows the way out (`FuzzClient.exit`): end it soon.
  dataTimeout: "1 second",
  ...overrides
})

/** The server, as a layer. */
export const layer = (overrides: ServerOptions.SmtpServerOptions = {}) =>
  SmtpServer.SmtpServer.layerTest(options(overrides)).pipe(
    Layer.provide(Pipeline.Pipeline.layer([Plugin.make("fuzz-accept", Effect.succeed(hooks))]))
  )
