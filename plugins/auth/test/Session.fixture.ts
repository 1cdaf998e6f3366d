import type { Session } from "@cartero/core"
import { TempDir, TestSession } from "@cartero/testing"
import { Redacted } from "effect"
import * as PasswordHash from "../src/PasswordHash.ts"

/** A connection on the submission listener, under TLS, as AUTH needs it. */
export const connection = (overrides: Partial<Omit<Session.Connection, "notes">> = {}): Session.Connection =>
  TestSession.connection({ listener: "submission", localPort: 587, secure: true, ...overrides })

/** A transaction on `conn` with the given sender (`null` for `<>`). */
export const transaction = (conn: Session.Connection, sender: string | null): Session.Transaction =>
  TestSession.transaction(conn, [], { mailFrom: sender === null ? null : TestSession.address(sender) })

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
export const tempDir = TempDir.make("cartero-auth-")
