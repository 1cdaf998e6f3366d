/**
 * `cartero queue list|show|retry|hold|release|delete|stats`: the operator's view of the mail queue, on whichever
 * store the settings select (`AppQueue`: `CARTERO_REDIS_URL` → Redis, else SQLite under `CARTERO_DATA_DIR`; from the
 * environment and the config file, as the server reads them). Every command prints a table, or JSON with `--json` (shapes in `Views.ts`).
 *
 * The store is provided per subcommand, so `cartero queue --help` never opens a database or connects to Redis, and
 * a missing SQLite database is refused rather than created (`CliQueue`).
 * A message is named by its queue id or by the id the client saw (`250 … delivered as <id>` is the transaction's
 * id, which the queue keeps as the message's trace id; `250 … queued as <id>` is the queue id itself).
 * The actions take several ids, or a selection (`--all`, `--domain`, `--sender`, `--older-than`, combined with
 * "and"), and act on every message that exists; unknown ids are reported together at the end (exit code 1), the
 * way `postsuper` treats a list of queue ids, and so are quarantined messages that `release` refused (their record
 * cannot be read whole: fix it or `delete` them).
 *
 * @since 0.1.0
 */
import { MailQueue, QueueError, RecipientState } from "@cartero/queue"
import type { Listing, QueuedMessage } from "@cartero/queue"
import { Setting } from "@cartero/settings"
import { Cause, Clock, Console, Duration, Effect, Option, Schema } from "effect"
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

/** An action without ids or selection, or with both. */
export class BadSelection extends Schema.TaggedError<BadSelection>()("BadSelection", { problem: Schema.String }) {
  override get message(): string {
    return this.problem
  }
}

const json = Flag.Boolean("json").pipe(Flag.withDescription("Print JSON instead of a table"), Flag.withDefault(false))

const print = (asJson: boolean, value: unknown, table: string) =>
  Console.log(asJson ? JSON.stringify(value, null, 2) : table)

const withQueue = <const Name extends string, Input, ContextInput, E, R>(self: Command.Command<Name, Input, ContextInput, E, R>) =>
  Command.provide(self, CliQueue.layer)

/** Every summary matching `filter`, following the pages. */
const listAll = (q: MailQueue.Service, filter: Listing.ListFilter) =>
  Effect.gen(function*() {
    const items: Array<QueuedMessage.MessageSummary> = []
    let cursor: string | undefined
    do {
      const page = yield* q.list(filter, { limit: 1000, cursor })
      items.push(...page.items)
      cursor = page.next
    } while (cursor !== undefined)
    return items
  })

/**
 * The queued message `id` names: its queue id, or else the id the client saw in `250 … delivered as <id>` (the
 * transaction id, kept as the message's trace id; found by a scan of the queue).
 */
export const find = (q: MailQueue.Service, id: string): Effect.Effect<QueuedMessage.QueuedMessage, QueueError.QueueError> =>
  q.show(id).pipe(Effect.catchTag("MessageNotFound", (notFound) =>
    Effect.gen(function*() {
      const match = (yield* listAll(q, {})).find((s) => s.traceId === id)
      return match === undefined ? yield* Effect.fail(notFound) : yield* q.show(match.id)
    })))

/** The recipients' addresses of each listed message (`null` where a quarantined record lost them). */
const addressesOf = (q: MailQueue.Service, items: ReadonlyArray<QueuedMessage.MessageSummary>) =>
  Effect.forEach(items, (s) =>
    q.show(s.id).pipe(
      Effect.map((m) => [s.id, Views.addresses(m)] as const),
      // Gone between the listing and now (delivered meanwhile): listed without addresses.
      Effect.catchTag("MessageNotFound", () => Effect.succeed([s.id, null] as const))
    )).pipe(Effect.map((pairs) => new Map(pairs)))

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
    const addresses = yield* addressesOf(q, items)
    yield* print(o.json, Views.listJson(items, cursor, addresses), Views.listTable(items, cursor, addresses))
  })
).pipe(Command.withDescription("List queued messages, oldest first"), withQueue)

const show = Command.make(
  "show",
  { id: Argument.String("id").pipe(Argument.withDescription("Queue id, or the id the client saw")), json },
  Effect.fn("cli.queue.show")(function*({ id, json }) {
    const m = yield* find(yield* MailQueue.MailQueue, id)
    yield* print(json, Views.messageJson(m), Views.messageTable(m))
  })
).pipe(Command.withDescription("Show one message and every recipient's state"), withQueue)

const cat = Command.make(
  "cat",
  { id: Argument.String("id").pipe(Argument.withDescription("Queue id, or the id the client saw")), json },
  Effect.fn("cli.queue.cat")(function*({ id, json }) {
    const q = yield* MailQueue.MailQueue
    const m = yield* find(q, id)
    const content = new TextDecoder().decode(yield* q.bytes(m.id))
    yield* print(json, Views.contentJson(m, content), content.replace(/\n$/, ""))
  })
).pipe(Command.withDescription("Print a message's content as queued, headers and body (like postcat -q)"), withQueue)

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

const selection = {
  all: Flag.Boolean("all").pipe(Flag.withDescription("Every queued message"), Flag.withDefault(false)),
  domain: Flag.String("domain").pipe(Flag.withDescription("Messages with a recipient at this domain"), Flag.optional),
  sender: Flag.String("sender").pipe(Flag.withDescription("Messages whose sender contains this text (<> for bounces)"), Flag.optional),
  olderThan: Flag.String("older-than").pipe(Flag.withDescription("Messages that arrived at least this long ago (a duration: 30m, 2h, 7d)"), Flag.optional)
}

interface Selection {
  readonly all: boolean
  readonly domain: Option.Option<string>
  readonly sender: Option.Option<string>
  readonly olderThan: Option.Option<string>
}

/** The ids an action acts on: those given, or the messages the selection matches (read before acting). */
const targets = (q: MailQueue.Service, ids: ReadonlyArray<string>, s: Selection) =>
  Effect.gen(function*() {
    const selecting = s.all || Option.isSome(s.domain) || Option.isSome(s.sender) || Option.isSome(s.olderThan)
    if (ids.length > 0 && selecting) return yield* new BadSelection({ problem: "give queue ids or a selection (--all, --domain, --sender, --older-than), not both" })
    if (ids.length > 0) return { ids, given: true }
    if (!selecting) return yield* new BadSelection({ problem: "name queue ids, or select messages with --all, --domain, --sender or --older-than" })
    let arrivedBefore: number | undefined
    if (Option.isSome(s.olderThan)) {
      const age = Setting.duration(s.olderThan.value)
      if (age === undefined) return yield* new BadSelection({ problem: `--older-than: expected a duration such as 2h, got ${JSON.stringify(s.olderThan.value)}` })
      arrivedBefore = (yield* Clock.currentTimeMillis) - Duration.toMillis(age)
    }
    const filter: Listing.ListFilter = { domain: Option.getOrUndefined(s.domain), sender: Option.getOrUndefined(s.sender), arrivedBefore }
    return { ids: (yield* listAll(q, filter)).map((m) => m.id), given: false }
  })

const action = (name: Views.Action, description: string) =>
  Command.make(
    name,
    {
      ids: Argument.String("id").pipe(Argument.withDescription("Queue ids, or the ids the client saw"), Argument.variadic({ min: 0 })),
      ...selection,
      json
    },
    Effect.fn(`cli.queue.${name}`)(function*(o) {
      const q = yield* MailQueue.MailQueue
      const chosen = yield* targets(q, o.ids, o)
      const done: Array<Views.ActionResult> = []
      const unknown: Array<string> = []
      const quarantined: Array<{ readonly id: string; readonly reason: string }> = []
      for (const given of chosen.ids) {
        // Given ids may be the client's; selected ones are queue ids already.
        const id = chosen.given ? yield* find(q, given).pipe(Effect.map((m) => m.id), Effect.catchTag("MessageNotFound", () => Effect.succeed(given))) : given
        const n = yield* apply(q, name, id).pipe(
          Effect.map(Option.some),
          Effect.catchTag("MessageNotFound", () =>
            // A selected message that finished meanwhile is not an error; a given id that names nothing is.
            Effect.sync(() => void (chosen.given && unknown.push(given))).pipe(Effect.as(Option.none<number>()))),
          Effect.catchTag("MessageQuarantined", (e) => Effect.sync(() => void quarantined.push({ id, reason: e.reason })).pipe(Effect.as(Option.none<number>())))
        )
        if (Option.isSome(n)) done.push({ id, action: name, recipients: n.value })
      }
      const none = chosen.given ? "" : "no message matches"
      if (done.length > 0 || o.json || none !== "") yield* print(o.json, done, done.length === 0 ? none : done.map(Views.actionLine).join("\n"))
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
    cat,
    action("retry", "Make the waiting recipients of messages due now (ids, or a selection: --all, --domain, --sender, --older-than)"),
    action("hold", "Hold messages: no delivery until released"),
    action("release", "Release held messages"),
    action("delete", "Delete messages and their bodies, even in flight"),
    stats
  ])
)
