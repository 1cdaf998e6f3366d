/**
 * Keeps the leases of the claims being worked on: each is renewed every third of its length until released.
 *
 * One keeper fiber runs while any claim is held and sleeps until the earliest renewal is due, instead of a renewal
 * fiber forked (and interrupted) per message (docs/benchmarks.md, "Round 3"). A lease found lost is logged: the
 * completion may still be accepted (see `@cartero/queue`'s `Claim`).
 *
 * @since 0.1.0
 */
import type { Claim, MailQueue } from "@cartero/queue"
import { Clock, Duration, Effect, type Scope } from "effect"

/** The keeper of one worker pool. */
export interface LeaseKeeper {
  /** Starts renewing `claim` (taken at `now`, epoch ms). */
  readonly hold: (claim: Claim.Claim, now: number) => Effect.Effect<void>
  /** Stops renewing `claim`. */
  readonly release: (claim: Claim.Claim) => void
}

/** A keeper whose fibers live in `scope`. */
export const make = (queue: MailQueue.Service, lease: Duration.Duration, scope: Scope.Scope): LeaseKeeper => {
  const leaseMillis = Duration.toMillis(lease)
  const renewEvery = leaseMillis / 3
  // Value: when the claim's next renewal is due.
  const held = new Map<Claim.Claim, number>()
  let keeping = false
  const renewOne = (claim: Claim.Claim) =>
    queue.renew(claim, leaseMillis).pipe(
      // A claim already finished has nothing left to lose.
      Effect.tap((expires) => (expires === undefined && held.has(claim) ? Effect.logWarning("lease lost during delivery") : Effect.void)),
      Effect.ignore,
      Effect.annotateLogs({ queueId: claim.messageId, domain: claim.domain })
    )
  const keeper: Effect.Effect<void> = Effect.gen(function*() {
    while (true) {
      let next = Infinity
      for (const due of held.values()) if (due < next) next = due
      if (next === Infinity) {
        // Checked and cleared in one synchronous step: the next claim held starts a keeper again.
        keeping = false
        return
      }
      const now = yield* Clock.currentTimeMillis
      if (next > now) {
        yield* Effect.sleep(Duration.millis(next - now))
        continue
      }
      for (const [claim, due] of held) {
        if (due > now) continue
        held.set(claim, now + renewEvery)
        yield* Effect.forkIn(renewOne(claim), scope)
      }
    }
  }).pipe(Effect.onInterrupt(() =>
    Effect.sync(() => {
      keeping = false
    })
  ))
  return {
    hold: (claim, now) =>
      Effect.suspend(() => {
        held.set(claim, now + renewEvery)
        if (keeping) return Effect.void
        keeping = true
        return Effect.asVoid(Effect.forkIn(keeper, scope))
      }),
    release: (claim) => {
      held.delete(claim)
    }
  }
}
