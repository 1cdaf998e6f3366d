/**
 * The `dkim-sign` outbound plugin: signs each message as it leaves, in the `beforeSend` phase, with the keys of the
 * domain its `From:` address belongs to ({@link SigningDomain}), one `DKIM-Signature` per key (RSA and Ed25519 side
 * by side when both are configured), relaxed/relaxed, over {@link SignedHeaders} with oversigning.
 *
 * Keys are read and checked when the plugin starts: a missing file, a key that is not RSA or Ed25519, or an RSA key
 * under 1024 bits stop start-up with a message naming the key (`SigningKey.KeyError`); RSA keys under 2048 bits
 * are logged as weak. A message whose `From:` domain has no key (and no default signing domain is configured) is
 * sent unsigned, with an Info log line. A signature that cannot be made fails the hook, and the delivery worker
 * defers the message with `451 4.3.0` rather than send it unsigned.
 *
 * ```ts
 * outbound: [DkimSign.plugin({ keys: [{ domain: "example.com", selector: "s1", keyFile: "/etc/cartero/dkim/example.com.s1.pem" }] })]
 * outbound: [DkimSign.pluginConfig]   // CARTERO_DKIM_KEYS=example.com:s1:/etc/cartero/dkim/example.com.s1.pem,...
 * ```
 *
 * @since 0.1.0
 */
import { OutboundHooks } from "@cartero/delivery"
import { Setting } from "@cartero/settings"
import { Clock, Config, Data, Duration, Effect, Option, Result } from "effect"
import * as SignedHeaders from "./SignedHeaders.ts"
import * as Signer from "./Signer.ts"
import * as SigningDomain from "./SigningDomain.ts"
import * as SigningKey from "./SigningKey.ts"

/** The plugin's name, as it appears in span names and logs. */
export const name = "dkim-sign"

/** Options, given in code (or in `cartero.config.ts`). */
export interface Options {
  /**
   * The keys. A domain may have several (typically one RSA and one Ed25519 key: the message gets a signature
   * from each); a message is signed by the keys of one domain only.
   */
  readonly keys: ReadonlyArray<SigningKey.KeySource>
  /** Fields to sign (every instance present). Default {@link SignedHeaders.defaults}. Must include `From`. */
  readonly headers?: ReadonlyArray<string>
  /** Fields listed once more than they occur (see {@link SignedHeaders}). Default {@link SignedHeaders.defaultOversigned}; `[]` for none. */
  readonly oversign?: ReadonlyArray<string>
  /**
   * Signs with this domain's keys the mail whose `From:` domain (and its parents) have none. Default: such mail is
   * sent unsigned. It must have a key.
   */
  readonly defaultDomain?: string
  /** Signatures expire this long after signing (`x=`). Default: they do not expire. */
  readonly expireAfter?: Duration.Input
}

/** An option that cannot work (the message names it). */
export class OptionsError extends Data.TaggedError("DkimOptionsError")<{ readonly reason: string }> {
  override get message(): string {
    return `dkim-sign: ${this.reason}`
  }
}

/** Why the plugin cannot start. */
export type StartError = OptionsError | SignedHeaders.HeaderListError | SigningKey.KeyError

/** What the hooks need, checked. */
export interface Signing {
  /** Keys by signing domain (A-label, lower case). */
  readonly keys: ReadonlyMap<string, ReadonlyArray<SigningKey.SigningKey>>
  readonly headers: SignedHeaders.HeaderList
  readonly defaultDomain: string | undefined
  readonly expireAfter: Duration.Duration | undefined
}

/** Loads the keys and checks the options: what the plugin's build does before any hook runs. */
export const prepare = Effect.fn("DkimSign.prepare")(function*(options: Options) {
  if (options.keys.length === 0) return yield* new OptionsError({ reason: "no keys configured: give at least one { domain, selector, keyFile }" })
  const headers = SignedHeaders.make(options.headers, options.oversign)
  if (Result.isFailure(headers)) return yield* headers.failure
  const keys = new Map<string, Array<SigningKey.SigningKey>>()
  const seen = new Set<string>()
  for (const source of options.keys) {
    const key = yield* SigningKey.load(source)
    const id = `${key.selector}._domainkey.${key.domain}`
    if (seen.has(id)) return yield* new OptionsError({ reason: `two keys for ${id}: a selector names one key` })
    seen.add(id)
    keys.set(key.domain, [...(keys.get(key.domain) ?? []), key])
  }
  let defaultDomain: string | undefined
  if (options.defaultDomain !== undefined) {
    defaultDomain = SigningKey.normalizeDomain(options.defaultDomain)
    if (defaultDomain === undefined || !keys.has(defaultDomain)) {
      return yield* new OptionsError({ reason: `the default signing domain ${JSON.stringify(options.defaultDomain)} has no key` })
    }
  }
  const expireAfter = options.expireAfter === undefined ? undefined : Duration.fromInputUnsafe(options.expireAfter)
  if (expireAfter !== undefined && Duration.toSeconds(expireAfter) < 1) {
    return yield* new OptionsError({ reason: "expireAfter must be at least one second" })
  }
  for (const [domain, list] of keys) {
    yield* Effect.logInfo("DKIM signing ready").pipe(Effect.annotateLogs({
      domain,
      keys: list.map((k) => `${k.selector} (${k.type}${k.bits === undefined ? "" : ` ${k.bits}`})`).join(", ")
    }))
  }
  return { keys, headers: headers.success, defaultDomain, expireAfter } satisfies Signing
})

/** The `beforeSend` hook for checked options. */
export const hooks = (signing: Signing): OutboundHooks.OutboundHooks => ({
  // Runs per message and destination domain: untraced, like the other per-message hooks.
  beforeSend: Effect.fnUntraced(function*(send: OutboundHooks.SendContext) {
    const message = yield* send.message
    const from = SigningDomain.fromDomain(message)
    const choice = SigningDomain.choose(from, (d) => signing.keys.has(d), signing.defaultDomain)
    if (choice._tag === "None") {
      yield* Effect.logInfo("not DKIM-signed").pipe(Effect.annotateLogs({ queueId: send.messageId, reason: choice.reason }))
      return []
    }
    const now = yield* Clock.currentTimeMillis
    const signed = yield* Signer.sign({
      message,
      keys: signing.keys.get(choice.domain) ?? [],
      headers: signing.headers,
      signTime: new Date(now),
      expires: signing.expireAfter === undefined ? undefined : new Date(now + Duration.toMillis(signing.expireAfter))
    })
    if (signed.length === 0) {
      yield* Effect.logWarning("not DKIM-signed: the message has no header block").pipe(Effect.annotateLogs({ queueId: send.messageId }))
    }
    return signed
  })
})

/** The plugin, configured in code. Bad options or keys fail the pipeline layer (and so start-up). */
export const plugin = (options: Options): OutboundHooks.OutboundPlugin<StartError> =>
  OutboundHooks.make(name, Effect.map(prepare(options), hooks))

// ---------------------------------------------------------------------------------------------------------------
// From the environment

/** The environment variable behind each option. */
export const variables = {
  keys: "CARTERO_DKIM_KEYS",
  headers: "CARTERO_DKIM_HEADERS",
  oversign: "CARTERO_DKIM_OVERSIGN",
  defaultDomain: "CARTERO_DKIM_DEFAULT_DOMAIN",
  expireAfter: "CARTERO_DKIM_EXPIRE_AFTER"
} as const

/** `domain:selector:/path/to/key.pem` (the path is everything after the second colon). */
const parseKey = (item: string): SigningKey.KeySource | undefined => {
  const m = /^([^:\s]+):([^:\s]+):(.+)$/.exec(item)
  return m === null || m[1] === undefined || m[2] === undefined || m[3] === undefined ? undefined : { domain: m[1], selector: m[2], keyFile: m[3].trim() }
}

const parseKeys: Setting.Parser<ReadonlyArray<SigningKey.KeySource>> = (raw) => {
  const items = Setting.list(raw).map(parseKey)
  return items.length > 0 && items.every((k) => k !== undefined) ? items.filter((k) => k !== undefined) : undefined
}

const parseFields: Setting.Parser<ReadonlyArray<string>> = (raw) =>
  raw.trim().toLowerCase() === "none" ? [] : Setting.list(raw)

/** A `Config` reading the {@link Options} from `CARTERO_DKIM_*`; errors name the variable. */
export const config: Config.Config<Options> = Config.all({
  keys: Setting.config(variables.keys, "a comma-separated list of domain:selector:/path/to/key.pem", parseKeys),
  headers: Config.option(Setting.config(variables.headers, "a comma-separated list of header field names", parseFields)),
  oversign: Config.option(Setting.config(variables.oversign, "a comma-separated list of header field names, or none", parseFields)),
  defaultDomain: Config.option(Setting.config(variables.defaultDomain, "a domain name", (s) => SigningKey.normalizeDomain(s))),
  expireAfter: Config.option(Setting.config(variables.expireAfter, "a duration such as 7d", Setting.duration))
}).pipe(Config.map(({ defaultDomain, expireAfter, headers, keys, oversign }) => ({
  keys,
  ...Option.match(headers, { onNone: () => ({}), onSome: (h) => ({ headers: h }) }),
  ...Option.match(oversign, { onNone: () => ({}), onSome: (o) => ({ oversign: o }) }),
  ...Option.match(defaultDomain, { onNone: () => ({}), onSome: (d) => ({ defaultDomain: d }) }),
  ...Option.match(expireAfter, { onNone: () => ({}), onSome: (e) => ({ expireAfter: e }) })
})))

/**
 * The plugin, configured from the environment when the outbound pipeline is built: `CARTERO_DKIM_KEYS` (required),
 * `CARTERO_DKIM_HEADERS`, `CARTERO_DKIM_OVERSIGN` (`none` for none), `CARTERO_DKIM_DEFAULT_DOMAIN`,
 * `CARTERO_DKIM_EXPIRE_AFTER`. A bad key or list fails start-up as with {@link plugin}, the message naming the
 * variable when the variable itself is malformed.
 */
export const pluginConfig: OutboundHooks.OutboundPlugin<Config.ConfigError | StartError> = OutboundHooks.make(
  name,
  Effect.gen(function*() {
    return hooks(yield* prepare(yield* config))
  })
)
