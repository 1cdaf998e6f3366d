/**
 * The client side of a scenario: N messages sent over a few connections, and every transaction that did not end
 * in a `250` retried, as a real MTA would retry it, until each message is accepted, refused for good (5yz), or the
 * deadline passes.
 *
 * Why not the benchmark's load generator: it counts outcomes per run, but a fault scenario needs the outcome *per
 * message* (which ids got a `250`, which were never acknowledged) and must resend the same id after a failure, so
 * that a message committed by the server whose `250` was lost shows up as a duplicate rather than as a different
 * message. The transport is `@cartero/testing`'s `SmtpTestClient` (every read bounded); the bytes are the
 * benchmark's message plus an attempt header ({@link Message}).
 *
 * What the server told the clients is tallied by stage and reply (`end of DATA 451 4.3.0 Queue temporarily
 * unavailable…`, `connect ECONNREFUSED`), so a scenario's notes can say what a client saw during the fault.
 *
 * @since 0.1.0
 */
import { SmtpTestClient } from "@cartero/testing"
import { Duration, Effect, Fiber, type Scope } from "effect"
import type * as Message from "./Message.ts"

export interface Options {
  readonly host: string
  readonly port: number
  readonly messages: number
  /** The first message's sequence number (default 0), so that two runs of one factory never share an id. */
  readonly firstSeq?: number
  readonly factory: Message.Factory
  readonly from: string
  readonly to: string
  /** Concurrent connections (default 4). */
  readonly concurrency?: number
  /** Messages per connection before a fresh one (default 50). */
  readonly perConnection?: number
  /** Bound on every read: connect, greeting, each reply (default 10 s). */
  readonly readTimeout?: Duration.Input
  /** Wait before a refused or failed message is tried again (default 500 ms). */
  readonly retryDelay?: Duration.Input
  /** The whole run ends by then, epoch milliseconds. */
  readonly deadline: number
}

/** The client's view of a run. */
export interface Summary {
  readonly sent: number
  /** Messages that got a `250` to their end of DATA (on any attempt). */
  readonly accepted: ReadonlySet<string>
  /** Messages that needed more than one transaction. */
  readonly retried: number
  /** Messages refused for good (5yz). */
  readonly refused: number
  /** Messages neither accepted nor refused when the run ended (the deadline). */
  readonly unsettled: number
  /** Transactions whose end of DATA got no reply (timeout, closed): the server may or may not have kept them. */
  readonly unanswered: number
  /** What the clients were told, by stage and reply, with counts. */
  readonly told: ReadonlyMap<string, number>
}

export interface Traffic {
  /** Accepted so far. */
  readonly acceptedCount: () => number
  /** Waits (bounded) until at least `n` messages were accepted or nothing is left to send; true when `n` reached. */
  readonly waitAccepted: (n: number, timeout: Duration.Input) => Effect.Effect<boolean>
  /** The run so far. */
  readonly summary: () => Summary
  /** Waits for the run to end. */
  readonly done: Effect.Effect<Summary>
}

interface Item {
  readonly seq: number
  attempt: number
  notBefore: number
}

type Step = "next" | "broken"

const errnoOf = (text: string): string | undefined => /\bE[A-Z]{3,}\b/.exec(text)?.[0]

/** Starts sending in the background (fibers of the scope); see {@link Traffic}. */
export const start = Effect.fn("Traffic.start")(function*(options: Options): Effect.fn.Return<Traffic, never, Scope.Scope> {
  const concurrency = options.concurrency ?? 4
  const perConnection = options.perConnection ?? 50
  const readTimeout = options.readTimeout ?? "10 seconds"
  const retryMillis = Duration.toMillis(Duration.fromInputUnsafe(options.retryDelay ?? "500 millis"))
  const firstSeq = options.firstSeq ?? 0
  const pending: Array<Item> = Array.from({ length: options.messages }, (_, i) => ({ seq: firstSeq + i, attempt: 0, notBefore: 0 }))
  const accepted = new Set<string>()
  const told = new Map<string, number>()
  let refused = 0
  let unanswered = 0
  let outstanding = options.messages
  let retried = 0

  const tell = (what: string): void => {
    told.set(what, (told.get(what) ?? 0) + 1)
  }
  const describeError = (stage: string, e: SmtpTestClient.SmtpClientError): string =>
    `${stage}: ${e.reason === "Timeout" ? "no reply (timeout)" : e.reason === "Closed" ? "connection closed" : errnoOf(e.detail) ?? e.reason}`
  const describeReply = (stage: string, r: SmtpTestClient.Reply): string =>
    `${stage} ${(r.lines[r.lines.length - 1] ?? "").slice(0, 72)}`
  const retryLater = (item: Item): void => {
    item.notBefore = Date.now() + retryMillis
    pending.push(item)
  }
  const takeDue = (): Item | undefined => {
    const now = Date.now()
    const i = pending.findIndex((p) => p.notBefore <= now)
    return i < 0 ? undefined : pending.splice(i, 1)[0]
  }
  const finished = (): boolean => outstanding === 0 || Date.now() >= options.deadline

  /** One transaction for `item` on `c`. A refused step resets and keeps the connection; a dead one breaks it. */
  const transaction = (c: SmtpTestClient.SmtpTestClient, item: Item): Effect.Effect<Step> => {
    item.attempt++
    if (item.attempt === 2) retried++
    const refusedAt = (stage: string, r: SmtpTestClient.Reply): Effect.Effect<Step> => {
      tell(describeReply(stage, r))
      if (r.reply.code >= 500) {
        refused++
        outstanding--
      } else {
        retryLater(item)
      }
      return c.command("RSET").pipe(Effect.as<Step>("next"), Effect.catch(() => Effect.succeed<Step>("broken")))
    }
    return Effect.gen(function*() {
      const mail = yield* c.command(`MAIL FROM:<${options.from}>`)
      if (mail.reply.code !== 250) return yield* refusedAt("MAIL", mail)
      const rcpt = yield* c.command(`RCPT TO:<${options.to}>`)
      if (rcpt.reply.code !== 250) return yield* refusedAt("RCPT", rcpt)
      const data = yield* c.command("DATA")
      if (data.reply.code !== 354) return yield* refusedAt("DATA", data)
      yield* c.sendRaw(options.factory.bytes(item.seq, item.attempt))
      const end = yield* c.readReply().pipe(
        Effect.tapError(() =>
          Effect.sync(() => {
            unanswered++
          })
        )
      )
      if (end.reply.code >= 200 && end.reply.code < 300) {
        accepted.add(options.factory.id(item.seq))
        outstanding--
        return "next" as const
      }
      return yield* refusedAt("end of DATA", end)
    }).pipe(
      Effect.catch((e) =>
        Effect.sync((): Step => {
          tell(describeError("transaction", e))
          retryLater(item)
          return "broken"
        })
      )
    )
  }

  /** One connection: greeting, EHLO, up to `perConnection` transactions. False when it could not be used. */
  const session: Effect.Effect<boolean> = Effect.scoped(Effect.gen(function*() {
    const c = yield* SmtpTestClient.connect({ host: options.host, port: options.port, timeout: readTimeout })
    const greeting = yield* c.readReply()
    if (greeting.reply.code !== 220) {
      tell(describeReply("greeting", greeting))
      return false
    }
    const ehlo = yield* c.command("EHLO client.faults.invalid")
    if (ehlo.reply.code !== 250) {
      tell(describeReply("EHLO", ehlo))
      return false
    }
    for (let i = 0; i < perConnection && !finished(); i++) {
      const item = takeDue()
      if (item === undefined) break
      if ((yield* transaction(c, item)) === "broken") return true
    }
    yield* c.command("QUIT").pipe(Effect.ignore)
    return true
  })).pipe(
    Effect.catch((e) =>
      Effect.sync(() => {
        tell(describeError("connect", e))
        return false
      })
    )
  )

  const hasDue = (): boolean => {
    const now = Date.now()
    return pending.some((p) => p.notBefore <= now)
  }

  // Bounded by the deadline: every iteration either waits, or runs a session whose reads are all bounded.
  const worker = Effect.gen(function*() {
    while (!finished()) {
      if (!hasDue()) {
        yield* Effect.sleep("50 millis")
        continue
      }
      const usable = yield* session
      if (!usable) yield* Effect.sleep(Duration.millis(retryMillis))
    }
  })

  const summary = (): Summary => ({
    sent: options.messages,
    accepted: new Set(accepted),
    retried,
    refused,
    unsettled: outstanding,
    unanswered,
    told: new Map(told)
  })
  const fibers = yield* Effect.forEach(Array.from({ length: concurrency }), () => Effect.forkScoped(worker))

  return {
    acceptedCount: () => accepted.size,
    waitAccepted: (n, timeout) =>
      Effect.gen(function*() {
        const until = Date.now() + Duration.toMillis(Duration.fromInputUnsafe(timeout))
        while (accepted.size < n && outstanding > 0 && Date.now() < until) yield* Effect.sleep("20 millis")
        return accepted.size >= n
      }),
    summary,
    done: Fiber.joinAll(fibers).pipe(Effect.map(summary))
  }
})

/** `told` as one line, most frequent first: `end of DATA 451 4.3.0 … ×37; connect: ECONNREFUSED ×12`. */
export const describeTold = (told: ReadonlyMap<string, number>, max = 4): string => {
  const entries = [...told.entries()].sort((a, b) => b[1] - a[1])
  const shown = entries.slice(0, max).map(([what, n]) => `${what} ×${n}`)
  if (entries.length > max) shown.push(`${entries.length - max} more kinds`)
  return shown.join("; ")
}

/** Two runs (of one factory, disjoint sequence numbers) as one. */
export const merge = (a: Summary, b: Summary): Summary => {
  const told = new Map(a.told)
  for (const [what, n] of b.told) told.set(what, (told.get(what) ?? 0) + n)
  return {
    sent: a.sent + b.sent,
    accepted: new Set([...a.accepted, ...b.accepted]),
    retried: a.retried + b.retried,
    refused: a.refused + b.refused,
    unsettled: a.unsettled + b.unsettled,
    unanswered: a.unanswered + b.unanswered,
    told
  }
}
