/**
 * The outbound half of `rate-limit`: at most N messages per window to one destination domain (the large mailbox
 * providers throttle senders that go faster, and answer 421/451 to a burst), counted in the app's `PolicyStore`
 * (Redis: one budget for every delivery process and host).
 *
 * - `route`: each claim (one message, one destination domain) counts one against the domain. Over its rate the
 *   claim is deferred without connecting: `451 4.7.1 Rate limit for <domain> (N per W), try again in S s`.
 * - `deferred`: for a claim this plugin deferred, the next attempt is when the window has room again
 *   (`OutboundHooks.retryAt`), not whenever the retry policy's back-off would say (minutes to hours).
 *
 * A retry time past the queue's maximum age (`maxAge`) is left to the retry policy, which gives the message up.
 *
 * The `route` → `deferred` hand-over stays in this process (the delivery worker runs both for one claim), in a map
 * bounded to 10 000 claims.
 *
 * Order: place it first among outbound plugins with a `route` hook; a plugin before it that routes (`Accept`) or
 * bounces decides without it.
 *
 * @since 0.1.0
 */
import { OutboundHooks, RetryPolicy } from "@cartero/delivery"
import { PolicyStore, type PolicyStoreError } from "@cartero/policy-store"
import { Setting } from "@cartero/settings"
import { Verdict } from "@cartero/smtp"
import { Clock, Config, Duration, Effect, Option } from "effect"
import * as Rate from "./Rate.ts"

/** The outbound plugin's name; it shares the inbound plugin's store namespace (`rate-limit`, keys `dest:…`). */
export const name = "rate-limit-outbound"

/** Options, given in code (or in `cartero.config.ts`). */
export interface Options {
  /** The rate of every destination domain without its own entry; unset: only listed domains are limited. */
  readonly perDestination?: Rate.Rate | undefined
  /** Rates of particular destination domains (lower case), e.g. `{ "gmail.com": { count: 500, per: "1 hour" } }`. */
  readonly destinations?: Readonly<Record<string, Rate.Rate>> | undefined
  /**
   * The queue's maximum age (default the retry policy's, 5 days; `pluginConfig` reads `CARTERO_MAX_QUEUE_AGE`): a
   * retry time past it is left to the retry policy, which then gives the message up, so that a destination that
   * never has room does not keep a message forever.
   */
  readonly maxAge?: Duration.Input | undefined
}

/** The reply of a claim deferred by this plugin. */
export const reply = (domain: string, rate: Rate.Rate, hint: string) =>
  Verdict.defer("4.7.1", `Rate limit for ${domain} (${Rate.describe(rate)}), ${hint}`)

/** Most claims remembered between `route` and `deferred`. */
const maxPending = 10_000

/** The outbound plugin; it needs the app's `PolicyStore`. A bad rate throws a `TypeError` at build. */
export const plugin = (options: Options): OutboundHooks.OutboundPlugin<never, PolicyStore.PolicyStore> =>
  OutboundHooks.make(
    name,
    Effect.gen(function*() {
      const fallback = options.perDestination === undefined
        ? undefined
        : { rate: options.perDestination, window: Rate.toWindow(options.perDestination, "perDestination") }
      const listed = new Map(
        Object.entries(options.destinations ?? {}).map(([domain, rate]) => [
          domain.toLowerCase(),
          { rate, window: Rate.toWindow(rate, `destinations[${domain}]`) }
        ])
      )
      const maxAgeMillis = Duration.toMillis(Duration.fromInputUnsafe(options.maxAge ?? RetryPolicy.defaultPolicy.maxAge))
      const counters = (yield* PolicyStore.PolicyStore).counters("rate-limit")
      // Claims this plugin deferred: `<messageId> <domain>` → the time the window has room again.
      const pending = new Map<string, number>()
      const remember = (key: string, at: number) => {
        pending.delete(key)
        pending.set(key, at)
        for (const oldest of pending.keys()) {
          if (pending.size <= maxPending) break
          pending.delete(oldest)
        }
      }
      const failOpen = (error: PolicyStoreError) =>
        Effect.logWarning("outbound rate limit not checked: the policy store failed", error.message).pipe(
          Effect.annotateLogs({ plugin: name }),
          Effect.as(Verdict.next)
        )

      return {
        route: (claim) => {
          const limit = listed.get(claim.domain) ?? fallback
          if (limit === undefined) return Effect.succeed(Verdict.next)
          return Effect.gen(function*() {
            const outcome = yield* counters.hit(`dest:${claim.domain}`, limit.window)
            if (outcome.allowed) return Verdict.next
            const now = yield* Clock.currentTimeMillis
            const wait = Number.isFinite(outcome.retryAfterMillis) ? outcome.retryAfterMillis : limit.window.windowMillis
            remember(`${claim.messageId} ${claim.domain}`, now + wait)
            return reply(claim.domain, limit.rate, Rate.hint(wait))
          }).pipe(Effect.catchTag("PolicyStoreError", failOpen))
        },
        deferred: (event) =>
          Effect.sync(() => {
            const key = `${event.messageId} ${event.domain}`
            const at = Option.fromUndefinedOr(pending.get(key))
            pending.delete(key)
            return Option.isSome(at) && at.value - event.arrivedAt <= maxAgeMillis ? OutboundHooks.retryAt(at.value) : Verdict.next
          })
      }
    })
  )

/** The environment variables of the outbound plugin. */
export const variables = {
  perDestination: "CARTERO_RATE_LIMIT_DESTINATION",
  destinations: "CARTERO_RATE_LIMIT_DESTINATIONS"
} as const

/** `domain=rate,…` (`gmail.com=500/1h,yahoo.com=100/1h`). */
const parseDestinations: Setting.Parser<Record<string, Rate.Rate>> = (raw) => {
  const out: Record<string, Rate.Rate> = {}
  for (const item of Setting.list(raw)) {
    const eq = item.indexOf("=")
    const domain = item.slice(0, eq).trim().toLowerCase()
    const rate = eq > 0 ? Rate.parse(item.slice(eq + 1)) : undefined
    if (rate === undefined || !/^[a-z0-9.-]{1,253}$/.test(domain)) return undefined
    out[domain] = rate
  }
  return out
}

/**
 * {@link Options} from the settings: `CARTERO_RATE_LIMIT_DESTINATION` (`500/1h`), `CARTERO_RATE_LIMIT_DESTINATIONS`,
 * and the queue's `CARTERO_MAX_QUEUE_AGE` (as delivery reads it).
 */
export const config: Config.Config<Options> = Config.all({
  maxAge: Config.map(RetryPolicy.config, (policy) => policy.maxAge),
  perDestination: Config.option(Setting.config(variables.perDestination, "a rate such as 500/1h", Rate.parse)).pipe(
    Config.map(Option.getOrUndefined)
  ),
  destinations: Setting.config(variables.destinations, "a list of domain=rate such as gmail.com=500/1h,yahoo.com=100/1h", parseDestinations).pipe(
    Config.withDefault({})
  )
})

/** The outbound plugin configured from the settings ({@link config}). */
export const pluginConfig = OutboundHooks.make(
  name,
  Effect.gen(function*() {
    const options = yield* config
    return yield* plugin(options).build
  })
)
