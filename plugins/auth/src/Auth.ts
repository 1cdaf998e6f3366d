/**
 * The `auth` plugin: SMTP AUTH (PLAIN, LOGIN) against scrypt hashes, and "the sender must be the user".
 *
 * - `auth`: hashes the password the client sent with the stored user's parameters and compares in constant time.
 *   Right → `Accept` (`235 2.7.0`); wrong → `535 5.7.8 Authentication credentials invalid`. An unknown user is
 *   checked against a dummy hash made with the strongest parameters of the users file (the same cost as the
 *   costliest user, so timing does not reveal who exists) and then left to the next plugin (`Continue`): the
 *   core's default-deny answers the very same `535 5.7.8`, and another auth plugin placed after this one can still
 *   serve its own users. CRAM-MD5 never carries the password, so it cannot be checked against a hash: such
 *   attempts are left to the next plugin (default-deny).
 * - At most `maxConcurrentChecks` (default 2) scrypt checks run at once; the others wait their turn. scrypt runs
 *   on libuv's thread pool, which Maildir's file writes share: an AUTH flood must not take every thread (the app
 *   also enlarges the pool, see apps/mta/src/ThreadPool.ts).
 * - `mailFrom`: on submission and smtps listeners, an authenticated user of this plugin may only use their own
 *   address or an alias from the users file as the sender: `553 5.7.1 Sender address not owned by user <name>`
 *   otherwise (Postfix's `reject_sender_login_mismatch`). The null sender `<>` impersonates nobody and is allowed
 *   (RFC 8098 read receipts use it). Users authenticated by another plugin are that plugin's business.
 *
 * ```ts
 * Pipeline.Pipeline.layer([Auth.plugin({ usersFile: "/etc/cartero/users" }), LocalDomains.pluginConfig, ...])
 * Pipeline.Pipeline.layer([Auth.pluginConfig, ...])   // CARTERO_AUTH_USERS_FILE, CARTERO_AUTH_USERS, ...
 * ```
 *
 * @since 0.1.0
 */
import { type Hooks, Plugin, Replies, type Session } from "@cartero/core"
import { Verdict } from "@cartero/smtp"
import { type Config, Effect, Redacted, Semaphore } from "effect"
import * as AuthConfig from "./AuthConfig.ts"
import * as PasswordHash from "./PasswordHash.ts"
import { type AuthConfigError, foldAddress, foldName, type UserDb } from "./Users.ts"
import * as UsersSource from "./UsersSource.ts"

/** The plugin's name, as it appears in span names and logs. */
export const name = "auth"

/** Replies this plugin emits. */
export const replies = {
  invalid: Replies.authInvalid,
  senderNotOwned: (user: string) => Verdict.reject("5.7.1", `Sender address not owned by user ${user}`, { code: 553 })
} as const

/** Configuration in code. */
export interface Options {
  /** A users file, read when the plugin is built; it must exist. */
  readonly usersFile?: string
  /** Entries in the file's line syntax (`user:hash` or `user:hash:alias,alias`), added to the file's. */
  readonly users?: ReadonlyArray<string>
  /** Check MAIL FROM of authenticated submission sessions; default true. */
  readonly enforceSender?: boolean
  /** scrypt checks running at once (each takes one libuv thread and 16 MiB with the default parameters); default 2. */
  readonly maxConcurrentChecks?: number
}

/** The default of {@link Options.maxConcurrentChecks}: half of libuv's default pool of 4 threads. */
export const defaultConcurrentChecks = 2

/** What the hooks check passwords with. */
export interface Checks {
  /** The hash checked for unknown users (see {@link PasswordHash.dummy}). */
  readonly dummy: PasswordHash.Hash
  /** Bounds the scrypt checks running at once. */
  readonly pool: Semaphore.Semaphore
}

/** Hashes a password for the users file (`scrypt$16384$8$1$salt$key`), e.g. for an admin tool. */
export const hashPassword = (password: string): Effect.Effect<string, PasswordHash.ScryptError> =>
  PasswordHash.hash(password)

/** Builds the hooks for loaded users. */
export const hooks = (users: UserDb, checks: Checks, enforceSender: boolean): Hooks.Hooks => ({
  auth: Effect.fn("Auth.auth")(function*(_connection: Session.Connection, attempt: Session.AuthAttempt) {
    if (attempt.password === undefined) {
      yield* Effect.logDebug("no password in this mechanism; hashed storage cannot check it").pipe(
        Effect.annotateLogs({ method: attempt.method })
      )
      return Verdict.next
    }
    const key = foldName(attempt.username)
    const user = key === undefined ? undefined : users.get(key)
    // Always pay for one scrypt, known user or not: the reply time must not tell an attacker who exists.
    const ok = yield* checks.pool.withPermits(1)(
      PasswordHash.verify(Redacted.value(attempt.password), user?.hash ?? checks.dummy)
    )
    yield* Effect.annotateCurrentSpan({ known: user !== undefined, ok: ok && user !== undefined })
    if (user === undefined) return Verdict.next
    return ok ? Verdict.accept() : replies.invalid
  }),
  // Runs per message. Untraced (Effect.fn("Auth.mailFrom") made a span and captured two stacks per call), and a
  // plain `Effect.succeed` when there is nothing to check: the pipeline runs a done effect without a fiber
  // (docs/benchmarks.md, "Profile and optimisations" and "Round 4").
  mailFrom: (transaction: Session.Transaction) => {
    const { connection, mailFrom: sender } = transaction
    if (!enforceSender || connection.listener === "mx" || connection.user === undefined || sender === null) {
      return Effect.succeed(Verdict.next)
    }
    const key = foldName(connection.user)
    const user = key === undefined ? undefined : users.get(key)
    if (user === undefined || user.addresses.has(foldAddress(sender))) return Effect.succeed(Verdict.next)
    return Effect.logInfo("sender not owned by the authenticated user").pipe(
      Effect.annotateLogs({ user: user.name, sender: foldAddress(sender) }),
      Effect.as(replies.senderNotOwned(user.name))
    )
  }
})

const build = Effect.fn("Auth.build")(function*(settings: AuthConfig.Settings, concurrentChecks: number) {
  const users = yield* UsersSource.load(settings.sources)
  const hashes = Array.from(users.values(), (u) => u.hash)
  const dummy = yield* PasswordHash.dummy(PasswordHash.strongest(hashes))
  const dummyParams = `N=${dummy.N} r=${dummy.r} p=${dummy.p}`
  if (PasswordHash.mixed(hashes)) {
    yield* Effect.logWarning(
      "the users file mixes scrypt parameters: users with cheaper hashes answer faster than unknown names; re-hash them"
    ).pipe(Effect.annotateLogs({ dummy: dummyParams }))
  }
  const pool = yield* Semaphore.make(concurrentChecks)
  yield* Effect.logInfo("auth ready").pipe(
    Effect.annotateLogs({ users: users.size, enforceSender: settings.enforceSender, concurrentChecks, dummy: dummyParams })
  )
  return hooks(users, { dummy, pool }, settings.enforceSender)
})

/** The plugin, configured in code. A malformed users file fails the pipeline layer (start-up). */
export const plugin = (options: Options = {}): Plugin.Plugin<AuthConfigError | PasswordHash.ScryptError> =>
  Plugin.make(
    name,
    build({
      sources: [
        ...(options.usersFile === undefined ? [] : [{ _tag: "File", path: options.usersFile, optional: false } as const]),
        ...(options.users === undefined ? [] : [{ _tag: "Lines", source: "users", lines: options.users } as const])
      ],
      enforceSender: options.enforceSender ?? true
    }, Math.max(1, options.maxConcurrentChecks ?? defaultConcurrentChecks))
  )

/** The plugin, configured from the environment when the pipeline is built (see `AuthConfig`). */
export const pluginConfig: Plugin.Plugin<AuthConfigError | PasswordHash.ScryptError | Config.ConfigError> = Plugin
  .make(
    name,
    Effect.gen(function*() {
      return yield* build(yield* AuthConfig.config, defaultConcurrentChecks)
    })
  )
