/**
 * `cartero send`: one message from the command line to an SMTP server (ours by default: `CARTERO_SMTP_HOST` and
 * `CARTERO_SMTP_PORT`, as the server reads them), through the delivery package's own SMTP client. For tests and
 * for checking a set-up by hand, like `swaks`:
 *
 * ```
 * pnpm cartero send --from alice@example.test --to bob@localhost --subject hello --body "hi"
 * pnpm cartero send --server mx.example.test:25 --from a@x.test --to b@y.test --file message.eml --json
 * ```
 *
 * The message is `--file` (line ends made CRLF), or one built from `--subject` and `--body` with `Date`, `From`,
 * `To`, `Subject` and `Message-ID` headers. `--user` with `--password-file` authenticates (over TLS only, unless
 * `--allow-plaintext-auth`). Each recipient's outcome is printed with the server's reply (where the client learns
 * `queued as <id>` / `delivered as <id>`, the id `cartero queue show` accepts); exit code 0 only when the server
 * took the message for every recipient.
 *
 * @since 0.1.0
 */
import { Auth, DeliveryResult, SmtpClient, TlsPolicy } from "@cartero/delivery"
import { Address, Envelope, SmtpReply } from "@cartero/smtp"
import { Setting } from "@cartero/settings"
import { Console, Effect, Option, Result, Schema } from "effect"
import { Command, Flag } from "effect/cli"
import { randomBytes } from "node:crypto"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as CliSettings from "./CliSettings.ts"

/** A message that could not be sent, or a bad argument. */
export class SendError extends Schema.TaggedError<SendError>()("SendError", { problem: Schema.String }) {
  override get message(): string {
    return this.problem
  }
}

/** Not every recipient was accepted (the outcomes were printed). */
export class NotAccepted extends Schema.TaggedError<NotAccepted>()("NotAccepted", { recipients: Schema.Array(Schema.String) }) {
  override get message(): string {
    return `not accepted for ${this.recipients.join(", ")}`
  }
}

const fail = (problem: string) => Effect.fail(new SendError({ problem }))

const mailbox = (text: string, what: string) => {
  const parsed = Address.parseMailbox(text.trim().replace(/^<(.*)>$/, "$1"), { smtpUtf8: true })
  return Result.isSuccess(parsed) ? Effect.succeed(parsed.success) : fail(`${what}: ${JSON.stringify(text)} is not an email address`)
}

/** `host:port`, `[v6]:port`, or a host alone (port `fallback`). */
export const parseServer = (text: string, fallback: number): { readonly host: string; readonly port: number } | undefined => {
  const m = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d{1,5}))?$/.exec(text.trim())
  const host = m?.[1] ?? m?.[2]
  const port = m?.[3] === undefined ? fallback : Number(m[3])
  return host === undefined || port < 1 || port > 65535 ? undefined : { host, port }
}

/** The message built from the flags: CRLF line ends, the usual headers. */
export const compose = (o: { readonly from: string; readonly to: ReadonlyArray<string>; readonly subject: string; readonly body: string }, now: Date): string => {
  const body = o.body.replace(/\r?\n/g, "\r\n")
  return [
    `Date: ${now.toUTCString().replace("GMT", "+0000")}`,
    `From: ${o.from}`,
    `To: ${o.to.join(", ")}`,
    `Subject: ${o.subject}`,
    `Message-ID: <${randomBytes(12).toString("hex")}@${Os.hostname()}>`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "",
    body.endsWith("\r\n") ? body.slice(0, -2) : body
  ].join("\r\n") + "\r\n"
}

const outcomeOf = { Delivered: "accepted", Deferred: "deferred", Failed: "refused" } as const

export const command = Command.make(
  "send",
  {
    from: Flag.String("from").pipe(Flag.withDescription("Envelope sender and From: (<> for a null sender)")),
    to: Flag.String("to").pipe(Flag.withDescription("Recipient (repeat for several)"), Flag.atLeast(1)),
    server: Flag.String("server").pipe(Flag.withDescription("host:port (default CARTERO_SMTP_HOST:CARTERO_SMTP_PORT, our MX listener)"), Flag.optional),
    subject: Flag.String("subject").pipe(Flag.withDescription("Subject of the built message"), Flag.withDefault("Test message from cartero send")),
    body: Flag.String("body").pipe(Flag.withDescription("Body of the built message"), Flag.withDefault("This is a test message.")),
    file: Flag.String("file").pipe(Flag.withDescription("Send this RFC 5322 message file instead of building one"), Flag.optional),
    tls: Flag.Literals("tls", ["none", "opportunistic", "required"]).pipe(Flag.withDescription("STARTTLS policy"), Flag.withDefault("opportunistic")),
    user: Flag.String("user").pipe(Flag.withDescription("AUTH as this user (password from --password-file)"), Flag.optional),
    passwordFile: Flag.String("password-file").pipe(Flag.withDescription("First line: the AUTH password"), Flag.optional),
    allowPlaintextAuth: Flag.Boolean("allow-plaintext-auth").pipe(Flag.withDescription("Allow AUTH without TLS (tests on loopback)"), Flag.withDefault(false)),
    json: Flag.Boolean("json").pipe(Flag.withDescription("Print JSON instead of text"), Flag.withDefault(false))
  },
  Effect.fn("cli.send")(function*(o) {
    const host = yield* Setting.withDefault("CARTERO_SMTP_HOST", "a host", (s) => s, "127.0.0.1")
    const port = yield* Setting.withDefault("CARTERO_SMTP_PORT", "an integer 1-65535", Setting.int(1, 65535), 2525)
    const serverText = Option.getOrElse(o.server, () => `${host.includes(":") ? `[${host}]` : host}:${port}`)
    const server = parseServer(serverText, 25)
    if (server === undefined) return yield* fail(`--server: expected host:port, got ${JSON.stringify(serverText)}`)
    const sender = o.from.trim() === "<>" ? null : yield* mailbox(o.from, "--from")
    const recipients = yield* Effect.forEach(o.to, (t) => mailbox(t, "--to"))
    const message = yield* Option.match(o.file, {
      onNone: () => Effect.succeed(compose({ from: sender === null ? "<>" : Address.format(sender), to: recipients.map(Address.format), subject: o.subject, body: o.body }, new Date())),
      onSome: (path) =>
        Effect.try({
          try: () => Fs.readFileSync(path, "utf8").replace(/\r?\n/g, "\r\n"),
          catch: (cause) => new SendError({ problem: `cannot read ${path}: ${cause instanceof Error ? cause.message : String(cause)}` })
        })
    })
    let auth: Auth.Credentials | undefined
    if (Option.isSome(o.user)) {
      if (Option.isNone(o.passwordFile)) return yield* fail("--user needs --password-file")
      const path = o.passwordFile.value
      const password = yield* Effect.try({
        try: () => Fs.readFileSync(path, "utf8").split("\n")[0]?.replace(/\r$/, "") ?? "",
        catch: (cause) => new SendError({ problem: `cannot read ${path}: ${cause instanceof Error ? cause.message : String(cause)}` })
      })
      auth = Auth.make(o.user.value, password, { allowPlaintextAuth: o.allowPlaintextAuth, allowUnverifiedPeer: true })
    }
    const envelope = Envelope.make(sender, recipients.map((address) => ({ address })))
    const client = yield* SmtpClient.SmtpClient
    const result = yield* client.send({
      host: server.host,
      port: server.port,
      tls: TlsPolicy.make(o.tls),
      envelope,
      message: new TextEncoder().encode(message),
      ...(auth === undefined ? {} : { auth })
    }).pipe(Effect.mapError((e) => new SendError({ problem: `cannot send to ${serverText}: ${e.message}` })))
    const rows = result.recipients.map((r) => ({
      recipient: Address.format(r.recipient.address),
      outcome: outcomeOf[r._tag],
      reply: { code: r.reply.code, enhanced: r.reply.enhanced ?? null, text: SmtpReply.text(r.reply) }
    }))
    yield* Console.log(o.json
      ? JSON.stringify({ server: DeliveryResult.describeRemote(result.remote), recipients: rows }, null, 2)
      : rows.map((r) => `${r.recipient}: ${r.outcome}: ${r.reply.code} ${r.reply.text}`).join("\n"))
    const refused = rows.filter((r) => r.outcome !== "accepted").map((r) => r.recipient)
    if (refused.length > 0) return yield* new NotAccepted({ recipients: refused })
  })
).pipe(
  Command.withDescription("Send one message to an SMTP server (default: ours), and print each recipient's reply"),
  Command.provide(SmtpClient.SmtpClient.layer({ heloName: Os.hostname() })),
  Command.provide(CliSettings.layer)
)
