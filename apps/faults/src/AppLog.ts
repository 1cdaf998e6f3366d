/**
 * What the app said during a fault, read from its own log lines (logfmt on stdout, `CARTERO_LOG_LEVEL=info`): the
 * replies of deferred delivery attempts (`status=deferred reply="451 4.4.3 …"`) and the messages of its warnings
 * and errors (`cannot record delivery outcome`, `queue unavailable; answering 451`…).
 *
 * The lines come from the benchmark's `ServerProcess`, which keeps the last 40 a child printed; they are read every
 * 100 ms, so a burst can scroll past unread. That is fine for what this is for — the distinct things the app said,
 * quoted in the report's notes — and is why no count is derived from them.
 *
 * @since 0.1.0
 */
import { Effect, Fiber, type Scope } from "effect"
import type * as Mta from "./Mta.ts"

/** Distinct deferral replies and warning/error messages. */
export interface Findings {
  readonly deferrals: ReadonlySet<string>
  readonly problems: ReadonlySet<string>
}

const field = (line: string, name: string): string | undefined => {
  const m = new RegExp(`(?:^| )${name}=(?:"((?:[^"\\\\]|\\\\.)*)"|(\\S+))`).exec(line)
  return m === null ? undefined : (m[1] ?? m[2])
}

/** Loopback ports differ from run to run; the report should not. */
const normalise = (text: string): string => text.replace(/(127\.0\.0\.1\]?):\d+/g, "$1:<port>").replace(/\s+/g, " ").trim()

/** Reads one line into `findings`. */
const read = (line: string, deferrals: Set<string>, problems: Set<string>): void => {
  const level = field(line, "level")
  if (field(line, "status") === "deferred") {
    const reply = field(line, "reply")
    if (reply !== undefined) deferrals.add(normalise(reply))
  } else if (level === "WARN" || level === "ERROR") {
    const message = field(line, "message")
    if (message !== undefined) problems.add(normalise(message))
  }
}

/** Watches `app`'s log in the background until `stop` (or the scope's end). */
export const watch = (app: Mta.App): Effect.Effect<{ readonly stop: Effect.Effect<Findings> }, never, Scope.Scope> =>
  Effect.gen(function*() {
    const deferrals = new Set<string>()
    const problems = new Set<string>()
    const seen = new Set<string>()
    const scan = Effect.sync(() => {
      for (const line of app.logTail().split("\n")) {
        if (seen.has(line)) continue
        if (seen.size > 20_000) seen.clear()
        seen.add(line)
        read(line, deferrals, problems)
      }
    })
    // Bounded by `stop` or the scope: one scan of at most 40 lines every 100 ms.
    const fiber = yield* Effect.forkScoped(Effect.forever(Effect.andThen(scan, Effect.sleep("100 millis"))))
    return { stop: Fiber.interrupt(fiber).pipe(Effect.andThen(scan), Effect.as({ deferrals, problems })) }
  })

/** Several watches' findings as one. */
export const merge = (all: ReadonlyArray<Findings>): Findings => ({
  deferrals: new Set(all.flatMap((f) => [...f.deferrals])),
  problems: new Set(all.flatMap((f) => [...f.problems]))
})

/** The findings as report notes. The app's start-up warnings about the throw-away setup are left out. */
export const notes = (f: Findings): Array<string> => {
  const problems = [...f.problems].filter((p) => !/no users file|self-signed development certificate/.test(p))
  return [
    ...(f.deferrals.size > 0 ? [`deliveries deferred with: ${[...f.deferrals].join("; ")}`] : []),
    ...(problems.length > 0 ? [`app logged: ${problems.join("; ")}`] : [])
  ]
}
