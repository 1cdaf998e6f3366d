/**
 * The ordered plugin runner. `Pipeline.layer([a, b, c])` builds the plugins one after the other, in array order,
 * and that order is also the hook order of every phase (like Haraka's `config/plugins`; `Layer.mergeAll` would build
 * them concurrently, which is why plugins are values and the pipeline is the layer).
 *
 * Per phase:
 * - the first verdict that is not `Continue` wins, later plugins are not asked;
 * - headers of `Continue` verdicts before it (and of a final `Accept`) are collected;
 * - each hook call runs in a span `plugin.<name>.<phase>` and under the plugin's timeout;
 * - a timeout, a failure or a defect answers `451 4.3.0` with a generic text, and logs plugin, phase and cause;
 * - `rcptTo` is default-deny: when no plugin accepts, `550 5.7.1` (no open relay by construction);
 * - `auth` is default-deny: `535 5.7.8`;
 * - `queue` needs an `Accept` (the message is stored): otherwise `451 4.3.0`, and what storage plugins kept of
 *   it is rolled back (see `Handoff`);
 * - `disconnect` observers all run; their failures are logged only.
 *
 * @since 0.1.0
 */
import { type Address, type Envelope, Verdict } from "@cartero/smtp"
import { Context, Effect, Layer, type Scope } from "effect"
import * as Handoff from "./Handoff.ts"
import type { DecidingPhase, HookResult, Hooks } from "./Hooks.ts"
import type { Message } from "./Message.ts"
import * as PluginModule from "./Plugin.ts"
import type { Plugin } from "./Plugin.ts"
import type { AuthAttempt, Connection, Helo, Transaction } from "./Session.ts"

/** The pipeline service: one method per inbound phase, each returning the combined verdict. */
export interface PipelineShape {
  /** Plugin names in hook order. */
  readonly plugins: ReadonlyArray<string>
  readonly connect: (connection: Connection) => Effect.Effect<Verdict.Verdict>
  readonly helo: (connection: Connection, helo: Helo) => Effect.Effect<Verdict.Verdict>
  readonly auth: (connection: Connection, attempt: AuthAttempt) => Effect.Effect<Verdict.Verdict>
  readonly mailFrom: (
    transaction: Transaction,
    sender: Address.Address | null,
    params: Envelope.MailParams
  ) => Effect.Effect<Verdict.Verdict>
  readonly rcptTo: (transaction: Transaction, recipient: Envelope.Recipient) => Effect.Effect<Verdict.Verdict>
  readonly data: (transaction: Transaction, message: Message) => Effect.Effect<Verdict.Verdict>
  readonly message: (transaction: Transaction, message: Message) => Effect.Effect<Verdict.Verdict>
  readonly queue: (transaction: Transaction, message: Message) => Effect.Effect<Verdict.Verdict>
  readonly disconnect: (connection: Connection) => Effect.Effect<void>
}

/** The pipeline of an SMTP server. */
export class Pipeline extends Context.Service<Pipeline, PipelineShape>()("@cartero/core/Pipeline") {}

/** Replies used when no plugin decides a default-deny phase. */
export const defaults = {
  rcptTo: Verdict.reject("5.7.1", "Relaying denied"),
  auth: Verdict.reject("5.7.8", "Authentication credentials invalid", { code: 535 }),
  queue: Verdict.defer("4.3.0", "Message could not be stored, please try again later")
} as const

type Built = PluginModule.Built<Hooks>

/** A hook call under the plugin's span and timeout; a failure answers `451 4.3.0` (the cause is logged). */
const guard = (plugin: Plugin<unknown, unknown>, phase: string, effect: HookResult): Effect.Effect<Verdict.Verdict> =>
  PluginModule.guard(plugin, phase, effect).pipe(Effect.catch(() => Effect.succeed(Verdict.tempFail)))

/**
 * Runs the hooks of one phase in order: first non-Continue wins; Continue headers are collected. A plain loop over
 * `flatMap` rather than `Effect.gen`: it runs for every SMTP command, and the generator cost ≈ 1.8 µs per phase.
 */
const decide = (
  built: ReadonlyArray<Built>,
  phase: DecidingPhase,
  call: (hooks: Hooks) => HookResult | undefined
): Effect.Effect<Verdict.Verdict> => {
  type Headers = ReadonlyArray<Verdict.Continue["headers"][number]>
  const from = (start: number, headers: Headers): Effect.Effect<Verdict.Verdict> => {
    for (let i = start; i < built.length; i++) {
      const entry = built[i]
      const effect = entry === undefined ? undefined : call(entry.hooks)
      if (entry === undefined || effect === undefined) continue
      const { plugin } = entry
      return Effect.flatMap(guard(plugin, phase, effect), (verdict) => {
        if (verdict._tag === "Continue") {
          return from(i + 1, verdict.headers.length > 0 ? [...headers, ...verdict.headers] : headers)
        }
        return Effect.succeed(
          verdict._tag === "Accept" && headers.length > 0 ? { ...verdict, headers: [...headers, ...verdict.headers] } : verdict
        )
      })
    }
    return Effect.succeed(headers.length === 0 ? Verdict.next : Verdict.continueWith(headers))
  }
  // The hooks are called when the phase runs, not when its effect is built.
  return Effect.suspend(() => from(0, []))
}

const orDefault = (fallback: Verdict.Verdict) => (verdict: Verdict.Verdict): Verdict.Verdict =>
  verdict._tag === "Continue" ? fallback : verdict

/** Builds the pipeline service from already-built hooks (used by {@link layer}; handy in tests). */
export const fromHooks = (built: ReadonlyArray<Built>): PipelineShape => ({
  plugins: built.map((b) => b.plugin.name),
  connect: (connection) => decide(built, "connect", (h) => h.connect?.(connection)),
  helo: (connection, helo) => decide(built, "helo", (h) => h.helo?.(connection, helo)),
  auth: (connection, attempt) =>
    decide(built, "auth", (h) => h.auth?.(connection, attempt)).pipe(Effect.map(orDefault(defaults.auth))),
  mailFrom: (transaction, sender, params) => decide(built, "mailFrom", (h) => h.mailFrom?.(transaction, sender, params)),
  rcptTo: (transaction, recipient) =>
    decide(built, "rcptTo", (h) => h.rcptTo?.(transaction, recipient)).pipe(Effect.map(orDefault(defaults.rcptTo))),
  data: (transaction, message) => decide(built, "data", (h) => h.data?.(transaction, message)),
  message: (transaction, message) => decide(built, "message", (h) => h.message?.(transaction, message)),
  queue: (transaction, message) =>
    decide(built, "queue", (h) => h.queue?.(transaction, message)).pipe(
      Effect.map((v) => (v._tag === "Accept" ? v : v._tag === "Continue" ? defaults.queue : v)),
      Effect.tap((v) => (v._tag === "Accept" ? Effect.void : Handoff.rollback(transaction))),
      Effect.onInterrupt(() => Handoff.rollback(transaction))
    ),
  disconnect: (connection) =>
    Effect.forEach(built, ({ hooks, plugin }) => {
      const effect = hooks.disconnect?.(connection)
      return effect === undefined ? Effect.void : guard(plugin, "disconnect", Effect.as(effect, Verdict.next))
    }, { discard: true })
})

/**
 * The pipeline layer. Plugins are built sequentially in array order, inside the layer's scope. Its error and
 * requirement types are the unions of the plugins'.
 */
export const layer = <const Plugins extends ReadonlyArray<Plugin<unknown, unknown>>>(
  plugins: Plugins
): Layer.Layer<Pipeline, PluginModule.ErrorOf<Plugins[number]>, Exclude<PluginModule.RequirementsOf<Plugins[number]>, Scope.Scope>> =>
  Layer.effect(Pipeline, PluginModule.buildAll<Hooks, Plugins>(plugins).pipe(Effect.map((built) => Pipeline.of(fromHooks(built)))))
