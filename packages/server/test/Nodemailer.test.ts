/** A real client: nodemailer submits through STARTTLS + AUTH on the submission listener with a self-signed cert. */
import { Verdict } from "@cartero/smtp"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import nodemailer from "nodemailer"
import { acceptDomain, clientTls, hooks, recorder, tls, withServer } from "./helpers.ts"

describe("nodemailer", () => {
  it.live("submits through STARTTLS + AUTH PLAIN on the submission listener", () => {
    const rec = recorder()
    const users = hooks("users", {
      auth: (_c, a) => Effect.succeed(a.username === "alice" && a.verify("s3cret") ? Verdict.accept() : Verdict.next)
    })
    return withServer(
      [users, acceptDomain("example.test"), rec.plugin],
      { tls, listeners: [{ kind: "submission", host: "127.0.0.1", port: 0 }] },
      (server) =>
        Effect.gen(function*() {
          const listener = server.address("submission")
          assert.isDefined(listener)
          const transport = nodemailer.createTransport({
            host: listener?.host ?? "127.0.0.1",
            port: listener?.port ?? 0,
            secure: false,
            requireTLS: true,
            tls: clientTls,
            auth: { user: "alice", pass: "s3cret" },
            connectionTimeout: 5000,
            greetingTimeout: 5000,
            socketTimeout: 5000
          })
          const info = yield* Effect.promise(() =>
            transport.sendMail({
              from: "alice@sender.test",
              to: "bob@example.test",
              subject: "Hello Bob",
              text: "Hi Bob,\nthis line ends with a bare LF in the source; nodemailer sends CRLF.\n"
            })
          )
          transport.close()
          assert.match(info.response, /^250 2\.6\.0 Message queued as [0-9A-Z]{26}$/)
          const got = rec.messages[0]
          assert.strictEqual(got?.txn.connection.user, "alice")
          assert.strictEqual(got?.message.headers.get("Subject"), "Hello Bob")
          assert.include(got?.message.prepend ?? "", "with ESMTPSA id")
        })
    )
  })

  it.live("a wrong password surfaces as 535 5.7.8 in nodemailer", () =>
    withServer(
      [hooks("users", { auth: () => Effect.succeed(Verdict.next) })],
      { tls, listeners: [{ kind: "submission", host: "127.0.0.1", port: 0 }] },
      (server) =>
        Effect.gen(function*() {
          const listener = server.address("submission")
          const transport = nodemailer.createTransport({
            host: "127.0.0.1",
            port: listener?.port ?? 0,
            requireTLS: true,
            tls: clientTls,
            auth: { user: "alice", pass: "bad" }
          })
          const error = yield* Effect.flip(Effect.tryPromise(() => transport.verify()))
          transport.close()
          assert.include(String(error.cause), "535 5.7.8 Authentication credentials invalid")
        })
    ))
})
