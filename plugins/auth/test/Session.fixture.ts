import { Notes, type Session } from "@cartero/core"
import { Address, Envelope } from "@cartero/smtp"
import { Effect, Redacted, Result } from "effect"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import * as PasswordHash from "../src/PasswordHash.ts"

/** A connection view as the server would hand it to hooks. */
export const connection = (overrides: Partial<Omit<Session.Connection, "notes">> = {}): Session.Connection => ({
  id: "conn-1",
  listener: "submission",
  remoteAddress: "203.0.113.5",
  remotePort: 40000,
  localAddress: "127.0.0.1",
  localPort: 587,
  clientHostname: undefined,
  helo: "client.test",
  esmtp: true,
  secure: true,
  user: undefined,
  trusted: false,
  ...overrides,
  notes: Notes.makeStore()
})

export const address = (text: string): Address.Address => {
  const parsed = Address.parseMailbox(text, { smtpUtf8: true })
  if (Result.isFailure(parsed)) throw new Error(parsed.failure.message)
  return parsed.success
}

/** A transaction on `conn` with the given sender. */
export const transaction = (conn: Session.Connection, sender: string | null): Session.Transaction => ({
  id: "txn-1",
  connection: conn,
  mailFrom: sender === null ? null : address(sender),
  params: Envelope.defaultParams,
  recipients: [],
  notes: Notes.makeStore()
})

/** An AUTH PLAIN attempt as the server builds it. */
export const attempt = (username: string, password: string | undefined, method = "PLAIN"): Session.AuthAttempt => ({
  method,
  username,
  verify: (candidate) => candidate === password,
  password: password === undefined ? undefined : Redacted.make(password)
})

/** Cheap parameters: these tests are about the logic, not the cost (the defaults are tested once). */
export const fast: PasswordHash.Params = { ...PasswordHash.defaults, N: 1024 }

export const hashOf = (password: string) => PasswordHash.hash(password, fast)

/** A fresh temporary directory, removed when the scope closes. */
export const tempDir = Effect.acquireRelease(
  Effect.promise(() => Fs.mkdtemp(Path.join(Os.tmpdir(), "cartero-auth-"))),
  (dir) => Effect.promise(() => Fs.rm(dir, { recursive: true, force: true }))
)
