/**
 * An AUTH-requiring relay for the client's AUTH tests: nodemailer's `smtp-server` (an independent SASL
 * implementation, so PLAIN and LOGIN are checked against someone else's reading of the RFCs) on loopback, port 0.
 * By default it offers STARTTLS with the `@cartero/testing` certificate and, as smtp-server does, advertises AUTH
 * only once the session is encrypted. Every AUTH attempt and every accepted message is recorded.
 */
import { TestTls } from "@cartero/testing"
import { Effect, type Scope } from "effect"
import * as tls from "node:tls"
import { SMTPServer } from "smtp-server"

export interface AuthServerOptions {
  /** Mechanisms offered. Default `["PLAIN", "LOGIN"]`. */
  readonly methods?: ReadonlyArray<"PLAIN" | "LOGIN">
  /** Accepted user → password. Default `{ relay: "s3cret" }`. */
  readonly users?: Readonly<Record<string, string>>
  /** No STARTTLS; AUTH offered in plaintext (a relay that allows insecure AUTH). */
  readonly plaintext?: boolean
  /** Answer every AUTH with this code (e.g. 454) instead of checking the password. */
  readonly authReply?: number
}

export interface AuthAttempt {
  readonly method: string
  readonly user: string | undefined
  /** Whether the password matched (never the password itself: tests assert it does not leak). */
  readonly ok: boolean
  readonly secure: boolean
}

export interface ReceivedMessage {
  /** The authenticated user of the session, `undefined` when it did not authenticate. */
  readonly user: string | undefined
  readonly mailFrom: string
  readonly rcptTo: ReadonlyArray<string>
  readonly data: string
  readonly secure: boolean
}

export interface AuthServer {
  readonly port: number
  readonly auths: Array<AuthAttempt>
  readonly messages: Array<ReceivedMessage>
  /** The TLS server name (SNI) of every encrypted session, in order. */
  readonly servernames: Array<string>
  /** Connections accepted. */
  readonly connections: () => number
}

export const make = (options: AuthServerOptions = {}): Effect.Effect<AuthServer, never, Scope.Scope> =>
  Effect.gen(function*() {
    const users = options.users ?? { relay: "s3cret" }
    const context = tls.createSecureContext({ key: TestTls.key, cert: TestTls.cert })
    const auths: Array<AuthAttempt> = []
    const messages: Array<ReceivedMessage> = []
    const servernames: Array<string> = []
    let connections = 0
    const server = new SMTPServer({
      name: "auth.test",
      banner: "auth relay",
      logger: false,
      authMethods: [...(options.methods ?? ["PLAIN", "LOGIN"])],
      ...(options.plaintext === true
        ? { disabledCommands: ["STARTTLS"], allowInsecureAuth: true }
        : {
          key: TestTls.key,
          cert: TestTls.cert,
          // Records what the client sent as SNI; the single certificate serves every name.
          SNICallback: (servername: string, callback: (err: Error | null, ctx?: tls.SecureContext) => void) => {
            servernames.push(servername)
            callback(null, context)
          }
        }),
      onConnect: (_session, callback) => {
        connections++
        callback()
      },
      onAuth: (auth, session, callback) => {
        const user = auth.username
        const ok = options.authReply === undefined && user !== undefined && users[user] !== undefined && users[user] === auth.password
        auths.push({ method: auth.method, user, ok, secure: session.secure })
        if (options.authReply !== undefined) {
          return callback(Object.assign(new Error("Temporary authentication failure"), { responseCode: options.authReply }))
        }
        if (!ok) return callback(new Error("Invalid username or password"))
        callback(null, { user })
      },
      onMailFrom: (_address, session, callback) => {
        // Relaying without authentication is refused, as a submission relay would.
        if (session.user === undefined) return callback(Object.assign(new Error("Authentication required"), { responseCode: 530 }))
        callback()
      },
      onData: (stream, session, callback) => {
        const chunks: Array<Buffer> = []
        stream.on("data", (c: Buffer) => chunks.push(c))
        stream.on("end", () => {
          const from = session.envelope.mailFrom
          messages.push({
            user: typeof session.user === "string" ? session.user : undefined,
            mailFrom: from === false ? "" : from.address,
            rcptTo: session.envelope.rcptTo.map((r) => r.address),
            data: Buffer.concat(chunks).toString("latin1"),
            secure: session.secure
          })
          callback(null)
        })
      }
    })
    server.on("error", () => undefined)
    const port = yield* Effect.acquireRelease(
      Effect.callback<number>((resume) => {
        server.listen(0, "127.0.0.1", () => {
          const a = server.server.address()
          resume(Effect.succeed(typeof a === "object" && a !== null ? a.port : 0))
        })
      }),
      () => Effect.callback<void>((resume) => server.close(() => resume(Effect.void))).pipe(Effect.timeout("2 seconds"), Effect.ignore)
    )
    return { port, auths, messages, servernames, connections: () => connections }
  })
