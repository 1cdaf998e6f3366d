/**
 * STARTTLS and AUTH: AUTH only under TLS (or on a trusted listener), submission requires AUTH, buffered plaintext
 * is discarded at STARTTLS, failed AUTH disconnects after the limit, implicit TLS on the smtps listener.
 */
import { Verdict } from "@cartero/smtp"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { acceptDomain, ehlo, hooks, play, recorder, tls, withServer } from "./helpers.ts"

const S = String.raw
const b64 = (s: string) => Buffer.from(s).toString("base64")
const plain = (user: string, pass: string) => b64(`\u0000${user}\u0000${pass}`)

const users = hooks("users", {
  auth: (_c, attempt) =>
    Effect.succeed(attempt.username === "alice" && attempt.verify("secret") ? Verdict.accept() : Verdict.next)
})
const domain = acceptDomain("example.test")

const submission = { tls, listeners: [{ kind: "submission", host: "127.0.0.1", port: 0 }] } as const
const both = {
  tls,
  listeners: [{ kind: "mx", host: "127.0.0.1", port: 0 }, { kind: "submission", host: "127.0.0.1", port: 0 }]
} as const

const starttls = S`
  -> STARTTLS
  <- 220 2.0.0 Ready to start TLS
  ** tls
  -> EHLO client.test
  <~ 250 `

describe("STARTTLS", () => {
  it.live("commands pipelined after STARTTLS in the same packet are discarded", () => {
    const rec = recorder()
    return withServer([domain, rec.plugin], { tls }, (server) =>
      play(server, S`
        ${ehlo}
        => STARTTLS\r\nMAIL FROM:<evil@sender.test>\r\nRCPT TO:<bob@example.test>\r\n
        <- 220 2.0.0 Ready to start TLS
        ** tls
        -> NOOP
        <- 250 2.0.0 OK
        -> EHLO client.test
        <~ 250 
        -> RCPT TO:<bob@example.test>
        <- 503 5.5.1 Error: need MAIL command
      `)).pipe(Effect.tap(() => Effect.sync(() => assert.strictEqual(rec.messages.length, 0))))
  })

  it.live("STARTTLS with an argument is refused with 501", () =>
    withServer([domain], { tls }, (server) =>
      play(server, S`
        ${ehlo}
        -> STARTTLS now
        <- 501 5.5.4 Error: syntax: STARTTLS
      `)))

  it.live("after STARTTLS the client must greet again, and Received says ESMTPS with the cipher", () => {
    const rec = recorder()
    return withServer([domain, rec.plugin], { tls }, (server) =>
      play(server, S`
        ${ehlo}
        -> STARTTLS
        <- 220 2.0.0 Ready to start TLS
        ** tls
        -> MAIL FROM:<alice@sender.test>
        <- 503 5.5.1 Error: send HELO/EHLO first
        -> EHLO client.test
        <! STARTTLS
        -> MAIL FROM:<alice@sender.test>
        <- 250 2.1.0 Accepted
        -> RCPT TO:<bob@example.test>
        <- 250 2.1.5 Accepted
        -> DATA
        <~ 354
        => x\r\n.\r\n
        <~ 250 2.6.0
      `)).pipe(Effect.tap(() => Effect.sync(() => {
        const prepend = rec.messages[0]?.message.prepend ?? ""
        assert.match(prepend, /\r\n\t\(using TLSv1\.[23] with cipher [A-Z0-9_-]+\)\r\n\tby mx\.test with ESMTPS id /)
      })))
  })

  it.live("STARTTLS is not offered without TLS material", () =>
    withServer([domain], {}, (server) =>
      play(server, S`
        ${ehlo}
        <! STARTTLS
        -> STARTTLS
        <- 500 5.5.2 Error: command not recognized
      `)))
})

describe("AUTH", () => {
  it.live("submission: AUTH is not advertised before TLS, MAIL needs AUTH, AUTH before TLS gets 538", () =>
    withServer([users, domain], submission, (server) =>
      play(server, S`
        ${ehlo}
        <* STARTTLS
        <! AUTH
        -> AUTH PLAIN ${plain("alice", "secret")}
        <- 538 5.7.11 Must issue a STARTTLS command first
        -> MAIL FROM:<alice@sender.test>
        <- 530 5.7.0 Authentication required
      `, "submission")))

  it.live("submission: after STARTTLS AUTH is advertised and AUTH PLAIN succeeds", () => {
    const rec = recorder()
    return withServer([users, domain, rec.plugin], submission, (server) =>
      play(server, S`
        ${ehlo}
        ${starttls}
        <* AUTH PLAIN LOGIN
        -> MAIL FROM:<alice@sender.test>
        <- 530 5.7.0 Authentication required
        -> AUTH PLAIN ${plain("alice", "secret")}
        <- 235 2.7.0 Authentication successful
        -> EHLO client.test
        <! AUTH
        -> MAIL FROM:<alice@sender.test>
        <- 250 2.1.0 Accepted
        -> RCPT TO:<bob@example.test>
        <- 250 2.1.5 Accepted
        -> DATA
        <~ 354
        => x\r\n.\r\n
        <~ 250 2.6.0
      `, "submission")).pipe(Effect.tap(() => Effect.sync(() => {
        const got = rec.messages[0]
        assert.strictEqual(got?.txn.connection.user, "alice")
        assert.strictEqual(got?.txn.connection.listener, "submission")
        assert.include(got?.message.prepend ?? "", "with ESMTPSA id")
      })))
  })

  it.live("AUTH LOGIN succeeds", () =>
    withServer([users, domain], submission, (server) =>
      play(server, S`
        ${ehlo}
        ${starttls}
        -> AUTH LOGIN
        <- 334 VXNlcm5hbWU6
        -> ${b64("alice")}
        <- 334 UGFzc3dvcmQ6
        -> ${b64("secret")}
        <- 235 2.7.0 Authentication successful
      `, "submission")))

  it.live("a wrong password gets 535 5.7.8, and the third failure 421 4.7.0 and close", () =>
    withServer([users, domain], submission, (server) =>
      play(server, S`
        ${ehlo}
        ${starttls}
        -> AUTH PLAIN ${plain("alice", "wrong")}
        <- 535 5.7.8 Authentication credentials invalid
        -> AUTH PLAIN ${plain("mallory", "secret")}
        <- 535 5.7.8 Authentication credentials invalid
        -> AUTH PLAIN ${plain("alice", "nope")}
        <- 421 4.7.0 Too many authentication failures, closing connection
        << closed
      `, "submission")))

  it.live("an auth hook can reject with its own code", () =>
    withServer([hooks("locked", { auth: () => Effect.succeed(Verdict.reject("5.7.9", "Account disabled", { code: 535 })) })], submission, (server) =>
      play(server, S`
        ${ehlo}
        ${starttls}
        -> AUTH PLAIN ${plain("alice", "secret")}
        <- 535 5.7.9 Account disabled
      `, "submission")))

  it.live("MX listener: AUTH is never offered, even under TLS", () =>
    withServer([users, domain], both, (server) =>
      play(server, S`
        ${ehlo}
        ${starttls}
        <! AUTH
        -> AUTH PLAIN ${plain("alice", "secret")}
        <- 503 5.5.1 Error: authentication not enabled
        -> MAIL FROM:<alice@sender.test>
        <- 250 2.1.0 Accepted
      `, "mx")))

  it.live("a trusted listener offers AUTH without TLS", () =>
    withServer([users, domain], { listeners: [{ kind: "submission", host: "127.0.0.1", port: 0, trusted: true }] }, (server) =>
      play(server, S`
        ${ehlo}
        <* AUTH PLAIN LOGIN
        -> AUTH PLAIN ${plain("alice", "secret")}
        <- 235 2.7.0 Authentication successful
      `, "submission")))

  it.live("smtps: implicit TLS from the first byte, AUTH offered at once", () =>
    withServer([users, domain], { tls, listeners: [{ kind: "smtps", host: "127.0.0.1", port: 0 }] }, (server) =>
      play(server, S`
        ** tls
        <- 220 mx.test ESMTP
        -> EHLO client.test
        <* AUTH PLAIN LOGIN
        <! STARTTLS
        -> AUTH PLAIN ${plain("alice", "secret")}
        <- 235 2.7.0 Authentication successful
      `, "smtps")))

  it.live("failed AUTH slows down: the n-th failure waits n x authFailureDelay", () =>
    withServer([users, domain], { ...submission, authFailureDelay: "150 millis" }, (server) =>
      Effect.gen(function*() {
        const started = Date.now()
        yield* play(server, S`
          ${ehlo}
          ${starttls}
          -> AUTH PLAIN ${plain("alice", "wrong")}
          <- 535 5.7.8 Authentication credentials invalid
          -> AUTH PLAIN ${plain("alice", "wrong")}
          <- 535 5.7.8 Authentication credentials invalid
        `, "submission")
        // 150 ms + 300 ms
        assert.isAtLeast(Date.now() - started, 440)
      })))
})

