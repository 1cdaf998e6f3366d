/**
 * Who may use the API when it asks for credentials: the users of the SMTP users file (`@cartero/plugin-auth`,
 * `CARTERO_AUTH_USERS_FILE` / `CARTERO_AUTH_USERS`), with their passwords. An operator manages one list.
 *
 * Checks cost one scrypt (tens of milliseconds, by design), known user or not, so the answer time does not say who
 * exists. A successful check is remembered for a short while ({@link rememberMillis}, keyed by a SHA-256 of the name
 * and password, never the password itself) so that a UI making many requests does not pay scrypt on each.
 *
 * @since 0.1.0
 */
import { AuthConfig, PasswordHash, Users, UsersSource } from "@cartero/plugin-auth"
import { Clock, Context, Effect, Layer, Redacted, Semaphore } from "effect"
import { createHash } from "node:crypto"

/** The check. */
export interface Service {
  /** Whether `username` exists and `password` is theirs. */
  readonly verify: (username: string, password: Redacted.Redacted<string>) => Effect.Effect<boolean>
}

/** How long a successful check is remembered. */
export const rememberMillis = 60_000

const maxRemembered = 256

/** The credentials the API accepts. */
export class Credentials extends Context.Service<Credentials, Service>()("@cartero/http-api/Credentials") {
  /** The users of a loaded users database. */
  static readonly fromUsers = (users: Users.UserDb): Layer.Layer<Credentials, PasswordHash.ScryptError> =>
    Layer.effect(Credentials, make(users))

  /** The users file and inline users the SMTP AUTH plugin reads (`AuthConfig`), loaded once at start-up. */
  static readonly layerConfig = Layer.effect(
    Credentials,
    Effect.gen(function*() {
      const settings = yield* AuthConfig.config
      return yield* make(yield* UsersSource.load(settings.sources))
    })
  )

  /** Nobody: every check fails (a server that must ask but has no users refuses everyone). */
  static readonly layerNobody = Layer.succeed(Credentials, Credentials.of({ verify: () => Effect.succeed(false) }))
}

/** The check over loaded users. */
export const make = Effect.fn("Credentials.make")(function*(users: Users.UserDb) {
  const dummy = yield* PasswordHash.dummy(PasswordHash.strongest(Array.from(users.values(), (u) => u.hash)))
  // scrypt holds 16 MiB per check: two at once at most, as the SMTP AUTH plugin does.
  const pool = yield* Semaphore.make(2)
  const remembered = new Map<string, number>()
  const keyOf = (username: string, password: string) =>
    createHash("sha256").update(username).update("\0").update(password).digest("base64")
  return Credentials.of({
    verify: Effect.fn("Credentials.verify")(function*(username: string, password: Redacted.Redacted<string>) {
      const now = yield* Clock.currentTimeMillis
      const key = keyOf(username, Redacted.value(password))
      const until = remembered.get(key)
      if (until !== undefined && until > now) return true
      const folded = Users.foldName(username)
      const user = folded === undefined ? undefined : users.get(folded)
      const ok = yield* pool.withPermits(1)(PasswordHash.verify(Redacted.value(password), user?.hash ?? dummy)).pipe(
        Effect.orElseSucceed(() => false)
      )
      if (!ok || user === undefined) return false
      if (remembered.size >= maxRemembered) remembered.clear()
      remembered.set(key, now + rememberMillis)
      return true
    })
  })
})
