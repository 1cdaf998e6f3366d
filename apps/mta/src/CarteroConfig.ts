/**
 * The reference MTA's optional config file, `cartero.config.ts`: Haraka's `config/plugins`, typed.
 *
 * ```ts
 * // cartero.config.ts
 * import { defaults, defineConfig } from "@cartero/mta/config"
 * import { Spf } from "@cartero/plugin-spf"
 *
 * export default defineConfig({
 *   plugins: [Spf.plugin({ fail: "reject" }), ...defaults.plugins],
 *   settings: { CARTERO_LOCAL_DOMAINS: ["example.com"], CARTERO_SMTP_PORT: 25 }
 * })
 * ```
 *
 * - `plugins`: the inbound plugins in hook order (default {@link defaults}`.plugins`: auth, local-domains, maildir,
 *   queue); `outbound`: the outbound plugins (default: local-return, delay-notice). Plugins come from the
 *   workspace or from npm packages, with their options; the compiler checks the options, and checks that the app
 *   provides every service a plugin needs ({@link InboundServices}, {@link OutboundServices}).
 * - `settings`: any `CARTERO_*` setting of docs/configuration.md, by its variable name; numbers, booleans and
 *   lists are written as such. The environment wins where both set a value; the app's defaults come last.
 *   `CARTERO_PROCESSES` and `CARTERO_HEAP_GROWTH` act before the config is read and stay in the environment.
 *
 * For code the compiler did not check (a JavaScript config, casts), {@link defineConfig} checks the shape when the
 * file is loaded and fails start-up with a message naming the problem.
 *
 * @since 0.1.0
 */
import type { Plugin } from "@cartero/core"
import type { DeliveryConfig, OutboundHooks } from "@cartero/delivery"
import type { Dns } from "@cartero/dns"
import type { PolicyStore } from "@cartero/policy-store"
import type { MailQueue, QueueStore } from "@cartero/queue"
import type { SmtpServer } from "@cartero/server"
import { ConfigProvider, Data } from "effect"
import type { AppConfig } from "./AppConfig.ts"

/** The settings a config file may give (every `CARTERO_*` variable of docs/configuration.md read by the app). */
export const settingNames = [
  "CARTERO_AUTHSERV_ID",
  "CARTERO_AUTH_ENFORCE_SENDER",
  "CARTERO_AUTH_FAILURE_LIMIT",
  "CARTERO_AUTH_FAILURE_WINDOW",
  "CARTERO_AUTH_USERS",
  "CARTERO_AUTH_USERS_FILE",
  "CARTERO_CONNECTION_RATE_LIMIT",
  "CARTERO_DATA_DIR",
  "CARTERO_DATA_TIMEOUT",
  "CARTERO_DELAY_NOTICE_AFTER",
  "CARTERO_DELIVERY_WORKERS",
  "CARTERO_DESTINATION_CONCURRENCY",
  "CARTERO_DESTINATION_RATE_DELAY",
  "CARTERO_DKIM_DEFAULT_DOMAIN",
  "CARTERO_DKIM_EXPIRE_AFTER",
  "CARTERO_DKIM_HEADERS",
  "CARTERO_DKIM_KEYS",
  "CARTERO_DKIM_OVERSIGN",
  "CARTERO_DMARC_BAD_FROM",
  "CARTERO_DMARC_MODE",
  "CARTERO_DMARC_QUARANTINE",
  "CARTERO_DMARC_REJECT",
  "CARTERO_DMARC_TEMPERROR",
  "CARTERO_DNSBL_ALLOW",
  "CARTERO_DNSBL_CHECK_PRIVATE",
  "CARTERO_DNSBL_DELAY_REJECT",
  "CARTERO_DNSBL_DOMAIN_CHECKS",
  "CARTERO_DNSBL_DOMAIN_ZONES",
  "CARTERO_DNSBL_LISTENERS",
  "CARTERO_DNSBL_ON_TEMPFAIL",
  "CARTERO_DNSBL_THRESHOLD",
  "CARTERO_DNSBL_TIMEOUT",
  "CARTERO_DNSBL_ZONES",
  "CARTERO_DNS_CACHE_SIZE",
  "CARTERO_DNS_SERVERS",
  "CARTERO_DNS_TIMEOUT",
  "CARTERO_ERROR_SLEEP",
  "CARTERO_GREYLIST_AUTHENTICATED_SENDERS",
  "CARTERO_GREYLIST_AUTO_WHITELIST_CLIENTS",
  "CARTERO_GREYLIST_DELAY",
  "CARTERO_GREYLIST_EXPIRY",
  "CARTERO_GREYLIST_RETRY_WINDOW",
  "CARTERO_HARD_ERROR_LIMIT",
  "CARTERO_HEADERS_LISTENERS",
  "CARTERO_HEADERS_PRIVACY",
  "CARTERO_HEADERS_TRUSTED_NETWORKS",
  "CARTERO_HOSTNAME",
  "CARTERO_HTTP_AUTH",
  "CARTERO_HTTP_HOST",
  "CARTERO_HTTP_PLAINTEXT",
  "CARTERO_HTTP_PORT",
  "CARTERO_JUNK_COMMAND_LIMIT",
  "CARTERO_LOCAL_ADDRESSES",
  "CARTERO_LOCAL_DOMAINS",
  "CARTERO_LOG_FORMAT",
  "CARTERO_LOG_LEVEL",
  "CARTERO_MAILDIR_ROOT",
  "CARTERO_MAX_CLIENTS",
  "CARTERO_MAX_CLIENTS_PER_IP",
  "CARTERO_MAX_CONNECTIONS",
  "CARTERO_MAX_LINE_LENGTH",
  "CARTERO_MAX_MESSAGE_SIZE",
  "CARTERO_MAX_QUEUE_AGE",
  "CARTERO_MAX_RECIPIENTS",
  "CARTERO_MAX_HOPS",
  "CARTERO_OTLP_ENDPOINT",
  "CARTERO_OTLP_SERVICE_NAME",
  "CARTERO_POLICY_PREFIX",
  "CARTERO_RATE_LIMIT_CLIENT_CONNECTIONS",
  "CARTERO_RATE_LIMIT_CLIENT_MESSAGES",
  "CARTERO_RATE_LIMIT_CLIENT_RECIPIENTS",
  "CARTERO_RATE_LIMIT_DESTINATION",
  "CARTERO_RATE_LIMIT_DESTINATIONS",
  "CARTERO_RATE_LIMIT_RECIPIENTS_PER_MESSAGE",
  "CARTERO_RATE_LIMIT_SENDER_DOMAIN_MESSAGES",
  "CARTERO_RATE_LIMIT_SENDER_DOMAIN_RECIPIENTS",
  "CARTERO_RATE_LIMIT_USER_MESSAGES",
  "CARTERO_RATE_LIMIT_USER_RECIPIENTS",
  "CARTERO_SPILL_THRESHOLD",
  "CARTERO_OUTBOUND_ADDRESS_PREFERENCE",
  "CARTERO_OUTBOUND_PORT",
  "CARTERO_OUTBOUND_TLS",
  "CARTERO_QUEUE_PREFIX",
  "CARTERO_QUEUE_RETAIN",
  "CARTERO_QUEUE_SHARDS",
  "CARTERO_REDIS_URL",
  "CARTERO_RETRY_SCHEDULE",
  "CARTERO_REVERSE_DNS",
  "CARTERO_SELF_ADDRESSES",
  "CARTERO_SELF_NAMES",
  "CARTERO_SESSION_TIMEOUT",
  "CARTERO_SHUTDOWN_TIMEOUT",
  "CARTERO_SMARTHOST",
  "CARTERO_SMARTHOST_CA",
  "CARTERO_SMARTHOST_PASSWORD",
  "CARTERO_SMARTHOST_PASSWORD_TO_UNVERIFIED_PEER",
  "CARTERO_SMARTHOST_USER",
  "CARTERO_SMTPS_PORT",
  "CARTERO_SMTP_HOST",
  "CARTERO_SMTP_PORT",
  "CARTERO_SMTP_TIMEOUT",
  "CARTERO_SOFT_ERROR_LIMIT",
  "CARTERO_SPF_ALLOW",
  "CARTERO_SPF_FAIL",
  "CARTERO_SPF_PERMERROR",
  "CARTERO_SPF_SOFTFAIL",
  "CARTERO_SPF_TEMPERROR",
  "CARTERO_STATIC_ROUTES",
  "CARTERO_SUBMISSION_PORT",
  "CARTERO_TLS_CERT",
  "CARTERO_TLS_KEY",
  "CARTERO_TRUSTED_NETWORKS"
] as const

/** A setting's name. */
export type SettingName = (typeof settingNames)[number]

/** A setting's value: text as in the environment, or a number, a boolean, a list (joined with commas). */
export type SettingValue = string | number | boolean | ReadonlyArray<string>

/** Settings by variable name. */
export type Settings = { readonly [K in SettingName]?: SettingValue }

/**
 * The services the app provides to inbound plugins. `PolicyStore` is where policy plugins (rate limits,
 * greylisting) keep their state: on the queue's Redis under `CARTERO_POLICY_PREFIX`, else SQLite in the data
 * directory (`@cartero/policy-store`).
 */
export type InboundServices = MailQueue.MailQueue | QueueStore.QueueStore | Dns.Dns | PolicyStore.PolicyStore | AppConfig

/** The services the app provides to outbound plugins. */
export type OutboundServices = InboundServices | DeliveryConfig.DeliveryConfig | SmtpServer.SmtpServer

/** What a config file exports (as its default export). */
export interface CarteroConfig {
  /** Inbound plugins, in hook order; default `defaults.plugins`. */
  readonly plugins?: ReadonlyArray<Plugin.Plugin<unknown, InboundServices>>
  /** Outbound plugins, in hook order; default `defaults.outbound`. */
  readonly outbound?: ReadonlyArray<OutboundHooks.OutboundPlugin<unknown, OutboundServices>>
  /** Settings; the environment wins where both set a value. */
  readonly settings?: Settings
}

/** A config that cannot be used. The message names the file and the problem. */
export class ConfigFileError extends Data.TaggedError("ConfigFileError")<{ readonly path: string; readonly problem: string }> {
  override get message(): string {
    return `${this.path}: ${this.problem}`
  }
}

const keys: ReadonlyArray<string> = ["plugins", "outbound", "settings"]
const names: ReadonlySet<string> = new Set(settingNames)

const isPlugin = (value: unknown): boolean =>
  typeof value === "object" && value !== null && "name" in value && typeof value.name === "string" && "build" in value &&
  "timeout" in value

const isSettingValue = (value: unknown): value is SettingValue =>
  typeof value === "string" || (typeof value === "number" && Number.isFinite(value)) || typeof value === "boolean" ||
  (Array.isArray(value) && value.every((item) => typeof item === "string"))

/** What is wrong with a config value, or `undefined` when it can be used. */
export const problem = (config: unknown): string | undefined => {
  if (typeof config !== "object" || config === null || Array.isArray(config)) return "the default export must be defineConfig({ ... })"
  for (const key of Object.keys(config)) {
    if (!keys.includes(key)) return `unknown key ${JSON.stringify(key)}; a config has ${keys.join(", ")}`
  }
  for (const list of ["plugins", "outbound"] as const) {
    const value: unknown = (config as Record<string, unknown>)[list]
    if (value === undefined) continue
    if (!Array.isArray(value)) return `${list} must be a list of plugins`
    const bad = value.findIndex((p) => !isPlugin(p))
    if (bad >= 0) return `${list}[${bad}] is not a plugin (made with Plugin.make or OutboundHooks.make)`
  }
  const settings: unknown = (config as Record<string, unknown>)["settings"]
  if (settings === undefined) return undefined
  if (typeof settings !== "object" || settings === null || Array.isArray(settings)) return "settings must be an object of CARTERO_* names"
  for (const [name, value] of Object.entries(settings)) {
    if (!names.has(name)) {
      return name === "CARTERO_PROCESSES" || name === "CARTERO_HEAP_GROWTH" || name === "CARTERO_CONFIG"
        ? `${name} acts before the config file is read: set it in the environment`
        : `unknown setting ${JSON.stringify(name)} (docs/configuration.md lists them)`
    }
    if (!isSettingValue(value)) return `${name}: expected text, a number, a boolean or a list of text`
  }
  return undefined
}

/**
 * Declares the config (the file's default export). Typed: a misspelled key, a plugin whose options are wrong or
 * that needs a service the app does not provide, or an unknown setting is a compile error; the same mistakes in
 * code the compiler did not check throw a `TypeError` here.
 */
export const defineConfig = (config: CarteroConfig): CarteroConfig => {
  const wrong = problem(config)
  if (wrong !== undefined) throw new TypeError(`defineConfig: ${wrong}`)
  return config
}

/** Settings as the environment would hold them: numbers and booleans as text, lists joined by commas. */
export const settingsText = (settings: Settings): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(settings)) {
    if (value === undefined) continue
    out[name] = typeof value === "string" ? value : Array.isArray(value) ? value.join(",") : String(value)
  }
  return out
}

/** A `ConfigProvider` of the config's settings. */
export const provider = (settings: Settings): ConfigProvider.ConfigProvider => ConfigProvider.fromUnknown(settingsText(settings))
