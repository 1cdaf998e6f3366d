/**
 * Test kit for the server's transcript tests: inline plugins (accept a domain's recipients, record what the queue
 * gets) and a runner that starts `SmtpServer.SmtpServer.layerTest` with them and plays a transcript against a listener.
 */
import { type Hooks, Message, Pipeline, Plugin, type Session, Store } from "@cartero/core"
import { TestTls, Transcript } from "@cartero/testing"
import { Verdict } from "@cartero/smtp"
import { type Duration, Effect, Layer, References } from "effect"
import { SmtpServer } from "../src/index.ts"
import type { ServerOptions } from "../src/index.ts"

/** Accepts every recipient of `domain`. */
export const acceptDomain = (domain: string) =>
  Plugin.make(
    "accept-domain",
    Effect.succeed<Hooks.Hooks>({
      rcptTo: (_txn, rcpt) => Effect.succeed(rcpt.address.domain === domain ? Verdict.accept() : Verdict.next)
    })
  )

/** What the queue hook received. */
export interface Recorded {
  readonly txn: Session.Transaction
  readonly message: Message.Message
  /** The message as received, read inside the hook (a spilled message's file is gone once the client is answered). */
  readonly raw: Uint8Array
}

/** A store that keeps every message in memory (and accepts it); `inspect` sees each message inside the hook. */
export const recorder = (inspect?: (message: Message.Message) => void) => {
  const messages: Array<Recorded> = []
  const plugin = Plugin.make(
    "record-queue",
    Effect.succeed<Hooks.Hooks>({
      queue: Store.make({
        takes: () => Effect.succeed(true),
        prepare: (txn) => Effect.succeed(txn),
        write: (txn, message) =>
          Effect.map(Effect.orDie(Message.bytes(message)), (raw) => {
            inspect?.(message)
            messages.push({ txn, message, raw })
            return Verdict.accept()
          }),
        undo: (txn) => Effect.sync(() => void messages.splice(0, messages.length, ...messages.filter((m) => m.txn !== txn)))
      })
    })
  )
  return { messages, plugin }
}

/** A store whose `write` is `write` (takes every recipient, undoes nothing). */
export const storeWith = (name: string, write: (txn: Session.Transaction) => Effect.Effect<Store.WriteVerdict>, timeout?: Duration.Input) =>
  Plugin.make(
    name,
    Effect.succeed<Hooks.Hooks>({
      queue: Store.make({ takes: () => Effect.succeed(true), prepare: Effect.succeed, write, undo: () => Effect.void })
    }),
    timeout === undefined ? undefined : { timeout }
  )

/** A plugin with the given hooks. */
export const hooks = (name: string, h: Hooks.Hooks, timeout?: Duration.Input) =>
  Plugin.make(name, Effect.succeed(h), timeout === undefined ? undefined : { timeout })

/** TLS material for tests (the test kit's self-signed localhost certificate). */
export const tls = { key: TestTls.key, cert: TestTls.cert }
/** Client TLS options trusting it. */
export const clientTls = { ca: TestTls.cert, servername: "localhost" }

type AnyPlugin = Plugin.Plugin<never, never>

/** Runs `f` with a test server built from the plugins, quiet logs. */
export const withServer = <A, E>(
  plugins: ReadonlyArray<AnyPlugin>,
  options: ServerOptions.SmtpServerOptions,
  f: (server: SmtpServer.SmtpServerShape) => Effect.Effect<A, E>
) =>
  Effect.gen(function*() {
    const server = yield* SmtpServer.SmtpServer
    return yield* f(server)
  }).pipe(
    Effect.provide(SmtpServer.SmtpServer.layerTest(options).pipe(Layer.provide(Pipeline.Pipeline.layer(plugins)))),
    Effect.provideService(References.MinimumLogLevel, "None")
  )

/** Runs one transcript against the server's listener of `kind` (default MX). */
export const play = (
  server: SmtpServer.SmtpServerShape,
  script: string,
  kind: ServerOptions.ListenerKind = "mx"
) =>
  Effect.gen(function*() {
    const listener = server.address(kind)
    if (listener === undefined) return yield* Effect.die(new Error(`no ${kind} listener`))
    return yield* Transcript.run({ host: listener.host, port: listener.port, tls: clientTls, timeout: "3 seconds" }, script)
  })

/** A server with `plugins` and one transcript. */
export const transcript = (
  plugins: ReadonlyArray<AnyPlugin>,
  script: string,
  options: ServerOptions.SmtpServerOptions = {}
) => withServer(plugins, options, (server) => play(server, script))

/** The standard opening: banner, EHLO, multi-line reply. */
export const ehlo = `
  <- 220 *
  -> EHLO client.test
  <~ 250 `

/** MAIL + RCPT (bob@example.test) + DATA opening, after EHLO, up to the 354. */
export const envelope = String.raw`
  -> MAIL FROM:<alice@sender.test>
  <- 250 2.1.0 Accepted
  -> RCPT TO:<bob@example.test>
  <- 250 2.1.5 Accepted
  -> DATA
  <- 354 End data with <CR><LF>.<CR><LF>`

const escapes: Readonly<Record<string, string>> = { "\\": "\\\\", "\r": "\\r", "\n": "\\n", "\t": "\\t", "\0": "\\0" }
/** Escapes octets (latin1 text) for a transcript's `=>` line. */
export const esc = (text: string): string =>
  text.replace(/[\\\r\n\t\0\x80-\xff]/g, (c) => escapes[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`)

/** One BDAT command with its chunk, as raw octets (latin1 text). */
export const bdat = (chunk: string, last = false): string => `BDAT ${Buffer.byteLength(chunk, "latin1")}${last ? " LAST" : ""}\r\n${chunk}`
