/**
 * SMTP AUTH (RFC 4954) on the client side, for smarthosts and authenticated relays: the credentials a request
 * carries and the SASL exchange run right after EHLO (after the post-STARTTLS EHLO when TLS is in use).
 *
 * - Mechanism: `PLAIN` (RFC 4616, one round trip with an initial response) when offered, else `LOGIN` (the
 *   de-facto standard of older relays, two challenges). Nothing else: CRAM-MD5 and DIGEST-MD5 are deprecated, and
 *   the SCRAM family would need the server's salt handling for no gain once TLS protects the exchange.
 * - Only to a verified peer: the password is sent only over TLS to a server whose certificate verifies for the
 *   name we connect to (against Node's CAs or the hop's `TlsPolicy.ca`), so that a man-in-the-middle who presents
 *   a certificate of its own gets nothing. `allowPlaintextAuth` lifts both rules (loopback tests, a relay on a
 *   trusted network), `allowUnverifiedPeer` only the second (a relay with a certificate that cannot be verified,
 *   on a network the operator trusts). The checks are the caller's ({@link SmtpConnection}), which knows the
 *   session's state.
 * - The password is a `Redacted` and leaves it only to be base64-encoded into the one command line that carries it;
 *   no log line, error detail or result contains it (errors carry the user name and the server's reply only).
 *
 * @since 0.1.0
 */
import { type Duration, Effect, Redacted } from "effect"
import { createHmac, randomBytes } from "node:crypto"
import type { SessionError } from "./ConnectError.ts"
import type { Reply } from "./ReplyReader.ts"

/** What a request authenticates with. */
export interface Credentials {
  /** The SASL authentication identity (usually the relay account name). */
  readonly user: string
  readonly password: Redacted.Redacted<string>
  /**
   * Send AUTH on a session that is not encrypted (no STARTTLS offered, `TlsPolicy` `none`, or a failed handshake).
   * Default `false`: such a session fails with `ConnectError` reason `auth` before the password is sent.
   */
  readonly allowPlaintextAuth?: boolean
  /**
   * Send AUTH over TLS to a server whose certificate does not verify (self-signed, expired, another name). Default
   * `false`: such a session fails with `ConnectError` reason `auth` before the password is sent.
   */
  readonly allowUnverifiedPeer?: boolean
}

/** The mechanisms this client speaks, in order of preference. */
export type Mechanism = "PLAIN" | "LOGIN"

/** Credentials from a user name and a password (a plain string is wrapped in `Redacted`). */
export const make = (
  user: string,
  password: string | Redacted.Redacted<string>,
  options?: { readonly allowPlaintextAuth?: boolean; readonly allowUnverifiedPeer?: boolean }
): Credentials => ({
  user,
  password: typeof password === "string" ? Redacted.make(password) : password,
  ...(options?.allowPlaintextAuth === true ? { allowPlaintextAuth: true } : {}),
  ...(options?.allowUnverifiedPeer === true ? { allowUnverifiedPeer: true } : {})
})

/** The mechanism to use among those the server offered (upper case), or `undefined` when none is supported. */
export const choose = (offered: ReadonlyArray<string>): Mechanism | undefined =>
  offered.includes("PLAIN") ? "PLAIN" : offered.includes("LOGIN") ? "LOGIN" : undefined

// Per-process secret: pool keys name credentials without containing anything a leaked key could be checked against.
const keySecret = randomBytes(32)

/**
 * A stable string for the connection-pool key: two requests share an authenticated session only when they carry the
 * same user, password and plaintext allowance. An HMAC under a per-process random key, never the password itself
 * (nor a plain hash of it, which a key that ended up in a log would let someone test guesses against).
 */
export const poolKey = (credentials: Credentials | undefined): string => {
  if (credentials === undefined) return "anon"
  const mac = createHmac("sha256", keySecret)
    .update(credentials.user)
    .update("\u0000")
    .update(Redacted.value(credentials.password))
    .digest("base64url")
    .slice(0, 22)
  return `auth:${mac}${credentials.allowPlaintextAuth === true ? ":plain-ok" : ""}${credentials.allowUnverifiedPeer === true ? ":unverified-ok" : ""}`
}

/** How an AUTH exchange ended, when the session survived it. */
export type Outcome =
  | { readonly _tag: "Authenticated"; readonly mechanism: Mechanism }
  /** The server refused (`535`, `454`, `534`, …) or the exchange could not start; `reply` is the server's, if any. */
  | { readonly _tag: "Rejected"; readonly detail: string; readonly reply: Reply | undefined }

const b64 = (text: string): string => Buffer.from(text, "utf8").toString("base64")

const describe = (reply: Reply): string => reply.lines.join(" / ")

const rejected = (detail: string, reply?: Reply): Outcome => ({ _tag: "Rejected", detail, reply })

/**
 * Runs the SASL exchange with one of `offered`. `command` sends one line and reads the reply; its context strings
 * name the step, never the line (which carries the encoded password). Fails only when the session itself breaks.
 */
export const authenticate = Effect.fnUntraced(function*(
  command: (line: string, timeout: Duration.Duration, context: string) => Effect.Effect<Reply, SessionError>,
  credentials: Credentials,
  offered: ReadonlyArray<string>,
  timeout: Duration.Duration
): Effect.fn.Return<Outcome, SessionError> {
  const mechanism = choose(offered)
  const who = `as ${JSON.stringify(credentials.user)}`
  if (mechanism === undefined) {
    return rejected(`no supported AUTH mechanism (offered: ${offered.length === 0 ? "none" : offered.join(" ")}; we speak PLAIN, LOGIN)`)
  }
  const password = Redacted.value(credentials.password)
  // RFC 4616 §2: NUL separates the fields, so a NUL inside one would shift them. Refused before anything is sent.
  if (credentials.user.includes("\u0000") || password.includes("\u0000")) return rejected(`credentials ${who} contain a NUL character`)

  // A 3yz where a verdict was due: cancel the exchange (RFC 4954 §4 "*") so that the session ends in a known state.
  const unexpectedChallenge = (reply: Reply, step: string) =>
    command("*", timeout, "AUTH cancel").pipe(Effect.as(rejected(`AUTH ${mechanism} ${who}: unexpected challenge after ${step}: ${describe(reply)}`, reply)))
  const verdict = (reply: Reply, step: string): Effect.Effect<Outcome, SessionError> => {
    const code = reply.reply.code
    if (code === 235) return Effect.succeed({ _tag: "Authenticated", mechanism })
    if (code >= 300 && code < 400) return unexpectedChallenge(reply, step)
    return Effect.succeed(rejected(`AUTH ${mechanism} ${who} refused: ${describe(reply)}`, reply))
  }

  if (mechanism === "PLAIN") {
    // authzid empty: act as the authenticated user. Initial response in the command: one round trip (RFC 4954 §4).
    const reply = yield* command(`AUTH PLAIN ${b64(`\u0000${credentials.user}\u0000${password}`)}`, timeout, "AUTH PLAIN")
    return yield* verdict(reply, "the credentials")
  }
  const start = yield* command("AUTH LOGIN", timeout, "AUTH LOGIN")
  if (start.reply.code !== 334) return rejected(`AUTH LOGIN ${who} refused: ${describe(start)}`, start)
  const afterUser = yield* command(b64(credentials.user), timeout, "AUTH LOGIN user name")
  if (afterUser.reply.code !== 334) return rejected(`AUTH LOGIN ${who} refused after the user name: ${describe(afterUser)}`, afterUser)
  const final = yield* command(b64(password), timeout, "AUTH LOGIN password")
  return yield* verdict(final, "the password")
})
