/**
 * The `dnsbl` plugin: DNS blocklists for an MX, the way Postfix (`postscreen_dnsbl_sites`, `reject_rbl_client`,
 * `reject_rhsbl_*`) and Haraka (`dnsbl`, `dns-list`) do it.
 *
 * - **Client address** against IP lists (`zones`): the lookups start at `connect`, in the background, so the
 *   banner is not held up; the verdict is given at the first `RCPT TO` (default, `delayReject`), or at connect.
 * - **HELO name and MAIL FROM domain** against domain lists (`domainZones`), looked up when given; judged at
 *   `RCPT TO` (default) or at once. **Body links** (opt-in per zone, `checks: ["body"]`) after the body.
 * - **Never checked**: clients of other listeners than `mx` (by default), the `allow` list, loopback and private
 *   addresses, trusted listeners, and authenticated clients (with `delayReject`, AUTH happens before the verdict).
 *
 * Replies: `554 5.7.1 <zone> lists <subject>: <TXT>` (`reject`, or a score at the threshold),
 * `451 4.7.1 …` (`defer`); `tag` listings add `X-DNSBL:` headers. A zone that cannot be asked passes the client
 * (fail-open) unless `onTempFail: "defer"`. What the lists said is kept for other plugins ({@link findings}).
 *
 * ```ts
 * Dnsbl.plugin({ zones: ["zen.spamhaus.org=127.0.0.[2..11]"], domainZones: ["dbl.spamhaus.org=127.0.1.[2..99]"] })
 * Dnsbl.pluginConfig   // CARTERO_DNSBL_ZONES, CARTERO_DNSBL_DOMAIN_ZONES, …
 * ```
 *
 * @since 0.1.0
 */
import { type Hooks, type Message, Notes, Plugin, type Session } from "@cartero/core"
import { Dns } from "@cartero/dns"
import { Cidr } from "@cartero/plugin-local-domains"
import { Setting } from "@cartero/settings"
import { Address, type Envelope, Verdict } from "@cartero/smtp"
import { Config, ConfigProvider, Effect, Fiber, Option, Result } from "effect"
import * as BodyDomains from "./BodyDomains.ts"
import * as Check from "./Check.ts"
import * as Decision from "./Decision.ts"
import * as Policy from "./Policy.ts"
import * as QueryName from "./QueryName.ts"
import type * as Zone from "./Zone.ts"

/** The plugin's name, as it appears in span names and logs. */
export const name = "dnsbl"

/** Lookups started for a subject, joined when a verdict is needed. */
type Pending = Fiber.Fiber<Check.Findings>

/** Connection note: why the client is not checked, or the pending client lookups. */
const ClientNote = Notes.make<{ readonly _tag: "Skipped"; readonly reason: string } | { readonly _tag: "Checking"; readonly lookups: Pending }>(
  "dnsbl.client"
)
/** Connection note: the lookups of the latest HELO name. */
const HeloNote = Notes.make<Pending>("dnsbl.helo")
/** Transaction note: the lookups of the MAIL FROM domain. */
const MailFromNote = Notes.make<Pending>("dnsbl.mailFrom")
/** Transaction note: what the body links gave. */
const BodyNote = Notes.make<Check.Findings>("dnsbl.body")

const join = (pending: Option.Option<Pending>): Effect.Effect<Check.Findings> =>
  Option.isNone(pending) ? Effect.succeed(Check.empty) : Fiber.join(pending.value)

/** Why a connection is not checked, or `undefined` when it is. */
export const skipReason = (policy: Policy.Policy, connection: Session.Connection): string | undefined => {
  if (!policy.listeners.has(connection.listener)) return `listener ${connection.listener}`
  if (connection.trusted) return "trusted listener"
  const client = QueryName.client(connection.remoteAddress)
  if (client === undefined) return "not an IP address"
  if (Cidr.containsAny(policy.allow, client.text)) return "allow list"
  if (!policy.checkPrivate && Cidr.containsAny(Policy.privateNetworks, client.text)) return "private address"
  return undefined
}

/** What the lists said about the client, its HELO name and the transaction's sender and body links, so far. */
export const findings = (transaction: Session.Transaction): Effect.Effect<Check.Findings> =>
  Effect.gen(function*() {
    const client = yield* ClientNote.get(transaction.connection)
    const parts = [
      Option.isSome(client) && client.value._tag === "Checking" ? yield* Fiber.join(client.value.lookups) : Check.empty,
      yield* join(yield* HeloNote.get(transaction.connection)),
      yield* join(yield* MailFromNote.get(transaction)),
      Option.getOrElse(yield* BodyNote.get(transaction), () => Check.empty)
    ]
    return parts.reduce(Check.combine, Check.empty)
  })

/** The questions about the client: one per IP zone (IPv6 clients only to zones that take them). */
const clientQuestions = (policy: Policy.Policy, client: QueryName.Client): ReadonlyArray<Check.Question> =>
  [...Check.byZone(policy.ipZones.filter((z) => client.family === 4 || z.ipv6))].map(([zone, entries]) => ({
    name: QueryName.forClient(client, zone),
    zone,
    entries,
    source: "client" as const,
    subject: client.text
  }))

/** The questions about domains: per domain list that takes `check`, the name and its two-label parent. */
const domainQuestions = (
  policy: Policy.Policy,
  check: Zone.DomainCheck,
  domains: ReadonlyArray<string>
): ReadonlyArray<Check.Question> =>
  [...Check.byZone(policy.domainZones.filter((z) => z.checks.has(check)))].flatMap(([zone, entries]) => {
    const names = new Set<string>()
    for (const raw of domains) {
      const valid = QueryName.domain(raw, zone)
      if (valid !== undefined) for (const n of QueryName.withParent(valid)) names.add(n)
    }
    return [...names].map((subject) => ({ name: QueryName.forDomain(subject, zone), zone, entries, source: check, subject }))
  })

/** Builds the hooks for a validated policy, using `dns` for every lookup. */
export const hooks = (policy: Policy.Policy, dns: Dns.Service): Hooks.Hooks => {
  const run = (questions: ReadonlyArray<Check.Question>) => Check.run(dns, questions, policy.timeout)
  // Lookups run in the background from the moment the subject is known; bounded by the budget, so a detached
  // fiber never outlives it by much even when the client has gone.
  const start = (questions: ReadonlyArray<Check.Question>): Effect.Effect<Pending> => Effect.forkDetach(run(questions))
  const skipped = (connection: Session.Connection): Effect.Effect<boolean> =>
    Effect.map(ClientNote.get(connection), (note) => Option.isSome(note) && note.value._tag === "Skipped")
  const exempt = (connection: Session.Connection): Effect.Effect<boolean> =>
    connection.user === undefined ? skipped(connection) : Effect.succeed(true)
  const verdict = (found: Check.Findings): Verdict.Verdict => Decision.refusal(found, policy.decision) ?? Verdict.next

  return {
    connect: Effect.fnUntraced(function*(connection: Session.Connection) {
      const reason = skipReason(policy, connection)
      const client = QueryName.client(connection.remoteAddress)
      if (reason !== undefined || client === undefined) {
        yield* Effect.logDebug("DNSBL: client not checked").pipe(Effect.annotateLogs({ client: connection.remoteAddress, reason }))
        yield* ClientNote.set(connection, { _tag: "Skipped", reason: reason ?? "not an IP address" })
        return Verdict.next
      }
      const lookups = yield* start(clientQuestions(policy, client))
      yield* ClientNote.set(connection, { _tag: "Checking", lookups })
      return policy.delayReject ? Verdict.next : verdict(yield* Fiber.join(lookups))
    }),

    helo: Effect.fnUntraced(function*(connection: Session.Connection, helo: Session.Helo) {
      if (yield* exempt(connection)) return Verdict.next
      const questions = domainQuestions(policy, "helo", [helo.domain])
      const lookups = yield* start(questions)
      yield* HeloNote.set(connection, lookups)
      return policy.delayReject ? Verdict.next : verdict(yield* Fiber.join(lookups))
    }),

    mailFrom: Effect.fnUntraced(function*(transaction: Session.Transaction) {
      if (transaction.mailFrom === null || (yield* exempt(transaction.connection))) return Verdict.next
      const lookups = yield* start(domainQuestions(policy, "mailFrom", [Address.asciiDomain(transaction.mailFrom)]))
      yield* MailFromNote.set(transaction, lookups)
      return policy.delayReject ? Verdict.next : verdict(yield* Fiber.join(lookups))
    }),

    rcptTo: Effect.fnUntraced(function*(transaction: Session.Transaction, _recipient: Envelope.Recipient) {
      if (!policy.delayReject || (yield* exempt(transaction.connection))) return Verdict.next
      return verdict(yield* findings(transaction))
    }),

    data: Effect.fnUntraced(function*(transaction: Session.Transaction) {
      if (yield* exempt(transaction.connection)) return Verdict.next
      const headers = Decision.headers(yield* findings(transaction), policy.decision)
      return headers.length === 0 ? Verdict.next : Verdict.continueWith(headers)
    }),

    message: Effect.fnUntraced(function*(transaction: Session.Transaction, message: Message.Message) {
      if (!policy.domainZones.some((z) => z.checks.has("body")) || (yield* exempt(transaction.connection))) return Verdict.next
      const domains = yield* BodyDomains.fromMessage(message, policy.maxBodyBytes, policy.maxBodyDomains)
      // The two-label parents can double the names: the bound is on names asked, per zone.
      const questions = domainQuestions(policy, "body", domains)
      const perZone = new Map<string, number>()
      const bounded = questions.filter((q) => {
        const n = (perZone.get(q.zone) ?? 0) + 1
        perZone.set(q.zone, n)
        return n <= policy.maxBodyDomains
      })
      const found = yield* run(bounded)
      yield* BodyNote.set(transaction, found)
      const refusal = Decision.refusal(found, policy.decision)
      if (refusal !== undefined) return refusal
      const headers = Decision.headers(found, policy.decision)
      return headers.length === 0 ? Verdict.next : Verdict.continueWith(headers)
    }),

    disconnect: (connection) =>
      Effect.gen(function*() {
        const client = yield* ClientNote.get(connection)
        if (Option.isSome(client) && client.value._tag === "Checking") yield* Fiber.interrupt(client.value.lookups)
        const helo = yield* HeloNote.get(connection)
        if (Option.isSome(helo)) yield* Fiber.interrupt(helo.value)
      })
  }
}

/**
 * The plugin, configured in code. Needs the `Dns` service (the reference app provides it). A bad option fails the
 * pipeline layer (and so start-up) with an `OptionsError` naming the option.
 */
export const plugin = (options: Policy.Options): Plugin.Plugin<Policy.OptionsError, Dns.Dns> =>
  Plugin.make(
    name,
    Effect.gen(function*() {
      const policy = Policy.make(options)
      if (Result.isFailure(policy)) return yield* policy.failure
      return hooks(policy.success, yield* Dns.Dns)
    })
  )

/** The environment variable behind each option of {@link pluginConfig}. */
export const variables = {
  zones: "CARTERO_DNSBL_ZONES",
  domainZones: "CARTERO_DNSBL_DOMAIN_ZONES",
  domainChecks: "CARTERO_DNSBL_DOMAIN_CHECKS",
  allow: "CARTERO_DNSBL_ALLOW",
  trustedNetworks: "CARTERO_TRUSTED_NETWORKS",
  listeners: "CARTERO_DNSBL_LISTENERS",
  delayReject: "CARTERO_DNSBL_DELAY_REJECT",
  threshold: "CARTERO_DNSBL_THRESHOLD",
  timeout: "CARTERO_DNSBL_TIMEOUT",
  onTempFail: "CARTERO_DNSBL_ON_TEMPFAIL",
  checkPrivate: "CARTERO_DNSBL_CHECK_PRIVATE"
} as const

const list = (variable: string) => Config.String(variable).pipe(Config.map(Setting.list))

const checkNames: Readonly<Record<string, Zone.DomainCheck>> = { helo: "helo", mailfrom: "mailFrom", body: "body" }
const checksList: Setting.Parser<ReadonlyArray<Zone.DomainCheck>> = (raw) => {
  const out: Array<Zone.DomainCheck> = []
  for (const item of Setting.list(raw)) {
    const check = checkNames[item.toLowerCase()]
    if (check === undefined) return undefined
    out.push(check)
  }
  return out.length === 0 ? undefined : out
}
const listenerList: Setting.Parser<ReadonlyArray<Session.ListenerKind>> = (raw) => {
  const items = Setting.list(raw).map((s) => s.toLowerCase())
  return items.length > 0 && items.every((s) => s === "mx" || s === "submission" || s === "smtps")
    ? items as ReadonlyArray<Session.ListenerKind>
    : undefined
}

/** A `Config` that reads the plugin's {@link Policy.Options} from `CARTERO_DNSBL_*`. */
export const config: Config.Config<Policy.Options> = Config.all({
  zones: list(variables.zones).pipe(Config.withDefault([])),
  domainZones: list(variables.domainZones).pipe(Config.withDefault([])),
  domainChecks: Setting.config(variables.domainChecks, "a comma list of helo, mailFrom, body", checksList).pipe(
    Config.withDefault<ReadonlyArray<Zone.DomainCheck>>(["helo", "mailFrom"])
  ),
  allow: list(variables.allow).pipe(Config.withDefault([])),
  trustedNetworks: list(variables.trustedNetworks).pipe(Config.withDefault([])),
  listeners: Setting.config(variables.listeners, "a comma list of mx, submission, smtps", listenerList).pipe(
    Config.withDefault<ReadonlyArray<Session.ListenerKind>>(["mx"])
  ),
  delayReject: Setting.config(variables.delayReject, "true or false", Setting.boolean).pipe(Config.withDefault(true)),
  threshold: Setting.config(variables.threshold, "an integer 1-1000", Setting.int(1, 1000)).pipe(Config.withDefault(1)),
  timeout: Setting.config(variables.timeout, "a duration such as 5s", Setting.duration).pipe(Config.option),
  onTempFail: Setting.config(variables.onTempFail, "pass or defer", Setting.oneOf(["pass", "defer"] as const)).pipe(
    Config.withDefault<"pass" | "defer">("pass")
  ),
  checkPrivate: Setting.config(variables.checkPrivate, "true or false", Setting.boolean).pipe(Config.withDefault(false))
}).pipe(
  Config.map((c): Policy.Options => ({
    zones: c.zones,
    domainZones: c.domainZones,
    domainChecks: c.domainChecks,
    // Networks trusted to relay (local-domains' setting) are never checked either.
    allow: [...c.allow, ...c.trustedNetworks],
    listeners: c.listeners,
    delayReject: c.delayReject,
    threshold: c.threshold,
    timeout: Option.getOrUndefined(c.timeout),
    onTempFail: c.onTempFail,
    checkPrivate: c.checkPrivate
  }))
)

/** Which variable an option comes from, for error messages. */
const variableOf: Partial<Record<Policy.Field, string>> = {
  zones: variables.zones,
  domainZones: variables.domainZones,
  domainChecks: variables.domainChecks,
  allow: `${variables.allow} or ${variables.trustedNetworks}`,
  listeners: variables.listeners,
  threshold: variables.threshold,
  timeout: variables.timeout,
  onTempFail: variables.onTempFail
}

/**
 * The plugin, configured from the environment when the pipeline is built (variables in the README). A bad value
 * fails start-up with a message naming the variable; so does a configuration without any zone.
 */
export const pluginConfig: Plugin.Plugin<Config.ConfigError, Dns.Dns> = Plugin.make(
  name,
  Effect.gen(function*() {
    const options = yield* config
    const policy = Policy.make(options)
    if (Result.isFailure(policy)) {
      const { field, detail } = policy.failure
      const message = `${variableOf[field] ?? field}: ${detail}`
      return yield* Effect.fail(new Config.ConfigError(new ConfigProvider.SourceError({ message })))
    }
    return hooks(policy.success, yield* Dns.Dns)
  })
)
