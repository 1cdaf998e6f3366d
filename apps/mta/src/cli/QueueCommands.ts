/**
 * `cartero queue list|show|retry|hold|release|delete|stats`: the operator's view of the mail queue, on whichever
 * store the settings select (`AppQueue`: `CARTERO_REDIS_URL` → Redis, else SQLite under `CARTERO_DATA_DIR`; from the
 * environment and the config file, as the server reads them). Every command prints a table, or JSON with `--json` (shapes in `Views.ts`).
 *
 * The store is provided per subcommand, so `cartero queue --help` never opens a database or connects to Redis.
 * The actions take several ids and act on every one that exists; unknown ids are reported together at the end
 * (exit code 1), the way `postsuper` treats a list of queue ids, and so are quarantined messages that `release`
 * refused (their record cannot be read whole: fix it or `delete` them).
 *
 * @since 0.1.0
 */
import { MailQueue, QueueError, RecipientState } from "@cartero/queue"
import type { Listing, QueuedMessage } from "@cartero/queue"
import { Cause, Console, Effect, Option, Schema } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import * as AppQueue from "../AppQueue.ts"
import * as CliQueue from "./CliQueue.ts"
import * as Table from "./Table.ts"
import * as Views from "./Views.ts"

/** Some of the ids given to an action name no queued message (the others were acted on). */
export class UnknownMessages extends Schema.TaggedError<UnknownMessages>()("UnknownMessages", {
  ids: Schema.Array(Schema.String)
}) {
  override get message(): string {
    return `no queued message ${this.ids.map((id) => JSON.stringify(id)).join(", ")}`
  }
}

/** `release` refused quarantined messages (the others were released). */
export class QuarantinedMessages extends Schema.TaggedError<QuarantinedMessages>()("QuarantinedMessages", {
  messages: Schema.Array(Schema.Struct({ id: Schema.String, reason: Schema.String }))
}) {
  override get message(): string {
    const each = this.messages.map((m) => `${JSON.stringify(m.id)} (${Table.safe(m.reason)})`).join(", ")
    return `not released, quarantined until their record reads whole (fix it, or delete the message): ${each}`
  }
}

const json = Flag.Boolean("json").pipe(Flag.withDescription("Print JSON instead of a table"), Flag.withDefault(false))

const print = (asJson: boolean, value: unknown, table: string) =>
  Console.log(asJson ? JSON.stringify(value, null, 2) : table)

const withQueue = <const Name extends string, Input, ContextInput, E, R>(self: Command.Command<Name, Input, ContextInput, E, R>) =>
  Command.provide(self, CliQueue.layer)

const list = Command.make(
  "list",
  {
    state: Flag.Literals("state", RecipientState.all).pipe(Flag.withDescription("Only messages with a recipient in this state"), Flag.optional),
    domain: Flag.String("domain").pipe(Flag.withDescription("Only messages with a recipient at this domain"), Flag.optional),
    sender: Flag.String("sender").pipe(Flag.withDescription("Only senders containing this text (<> for bounces)"), Flag.optional),
    before: Flag.Date("before").pipe(Flag.withDescription("Only messages that arrived at or before this time (ISO 8601)"), Flag.optional),
    limit: Flag.Int("limit").pipe(Flag.withDescription("Messages per page (1-1000)"), Flag.withDefault(50)),
    cursor: Flag.String("cursor").pipe(Flag.withDescription("Continue after a previous page (its `next`)"), Flag.optional),
    all: Flag.Boolean("all").pipe(Flag.withDescription("Follow every page"), Flag.withDefault(false)),
    json
  },
  Effect.fn("cli.queue.list")(function*(o) {
    const q = yield* MailQueue.MailQueue
    const filter: Listing.ListFilter = {
      state: Option.getOrUndefined(o.state),
      domain: Option.getOrUndefined(o.domain),
      sender: Option.getOrUndefined(o.sender),
      arrivedBefore: Option.getOrUndefined(Option.map(o.before, (d) => d.getTime()))
    }
    const items: Array<QueuedMessage.MessageSummary> = []
    let cursor = Option.getOrUndefined(o.cursor)
    // One page, or with --all every page: each page moves the cursor strictly forward, so this ends.
    do {
      const page = yield* q.list(filter, { limit: o.limit, cursor })
      items.push(...page.items)
      cursor = page.next
    } while (o.all && cursor !== undefined)
    yield* print(o.json, Views.listJson(items, cursor), Views.listTable(items, cursor))
  })
).pipe(Command.withDescription("List queued messages, oldest first"), withQueue)

const show = Command.make(
  "show",
  { id: Argument.String("id").pipe(Argument.withDescription("Queue id")), json },
  Effect.fn("cli.queue.show")(function*({ id, json }) {
    const m = yield* (yield* MailQueue.MailQueue).show(id)
    yield* print(json, Views.messageJson(m), Views.messageTable(m))
  })
).pipe(Command.withDescription("Show one message and every recipient's state"), withQueue)

const stats = Command.make(
  "stats",
  { json },
  Effect.fn("cli.queue.stats")(function*({ json }) {
    const s = yield* (yield* MailQueue.MailQueue).stats
    const store = AppQueue.describe(yield* AppQueue.choice)
    yield* print(json, Views.statsJson(s, store), Views.statsTable(s, store))
  })
).pipe(Command.withDescription("Recipients per state, message count, oldest message"), withQueue)

const apply = (
  q: MailQueue.Service,
  action: Views.Action,
  id: string
): Effect.Effect<number, QueueError.QueueError | QueueError.MessageQuarantined> => {
  switch (action) {
    case "retry":
      return q.retryNow(id)
    case "hold":
      return q.hold(id)
    case "release":
      return q.release(id)
    case "delete":
      // Counted first so the operator sees what went; `show` also proves the id exists.
      return Effect.flatMap(q.show(id), (m) => Effect.as(q.delete(id), m.recipients.length))
  }
}

const action = (name: Views.Action, description: string) =>
  Command.make(
    name,
    { ids: Argument.String("id").pipe(Argument.withDescription("Queue ids"), Argument.variadic({ min: 1 })), json },
    Effect.fn(`cli.queue.${name}`)(function*({ ids, json }) {
      const q = yield* MailQueue.MailQueue
      const done: Array<Views.ActionResult> = []
      const unknown: Array<string> = []
      const quarantined: Array<{ readonly id: string; readonly reason: string }> = []
      for (const id of ids) {
        const n = yield* apply(q, name, id).pipe(
          Effect.map(Option.some),
          Effect.catchTag("MessageNotFound", () => Effect.sync(() => void unknown.push(id)).pipe(Effect.as(Option.none<number>()))),
          Effect.catchTag("MessageQuarantined", (e) => Effect.sync(() => void quarantined.push({ id, reason: e.reason })).pipe(Effect.as(Option.none<number>())))
        )
        if (Option.isSome(n)) done.push({ id, action: name, recipients: n.value })
      }
      if (done.length > 0 || json) yield* print(json, done, done.map(Views.actionLine).join("\n"))
      const refusals = [
        ...(unknown.length > 0 ? [Cause.fail(new UnknownMessages({ ids: unknown }))] : []),
        ...(quarantined.length > 0 ? [Cause.fail(new QuarantinedMessages({ messages: quarantined }))] : [])
      ]
      const [first, ...rest] = refusals
      if (first !== undefined) return yield* Effect.failCause(rest.reduce<Cause.Cause<UnknownMessages | QuarantinedMessages>>(Cause.combine, first))
    })
  ).pipe(Command.withDescription(description), withQueue)

/** `cartero queue ...`. */
export const command = Command.make("queue").pipe(
  Command.withDescription("Inspect and steer the mail queue (store chosen by CARTERO_REDIS_URL / CARTERO_DATA_DIR)"),
  Command.withSubcommands([
    list,
    show,
    action("retry", "Make the waiting recipients of messages due now"),
    action("hold", "Hold messages: no delivery until released"),
    action("release", "Release held messages"),
    action("delete", "Delete messages and their bodies, even in flight"),
    stats
  ])
)
