/**
 * The inbound pipeline: the ordered plugin runner of an SMTP server. `Pipeline.Pipeline.layer([a, b, c])` builds
 * the plugins one after the other, in array order, and that order is also the hook order of every phase (like
 * Haraka's `config/plugins`; `Layer.mergeAll` would build them concurrently, which is why plugins are values and the
 * pipeline is the layer).
 *
 * Per phase (the shapes are `Runner`'s):
 * - deciding phases (`connect` … `message`): the first verdict that is not `Continue` wins, later plugins are not
 *   asked; headers of `Continue` verdicts before it (and of a final `Accept`) are collected;
 * - each hook call runs in a span `plugin.<name>.<phase>` and under the plugin's timeout; a timeout, a failure or
 *   a defect answers `451 4.3.0` with a generic text, and logs plugin, phase and cause;
 * - `rcptTo` is default-deny: when no plugin accepts, `550 5.7.1` (no open relay by construction);
 * - `auth` is default-deny: `535 5.7.8`;
 * - `queue` runs the store protocol (`Store`): `Accept` only when every recipient is stored, otherwise what was
 *   stored is rolled back and the client gets `451 4.3.0` (or the refusing store's reply);
 * - `disconnect` observers all run; their failures are logged only.
 *
 * @since 0.1.0
 */
import type { Envelope, Verdict } from "@cartero/smtp"
import { Context, Effect, Layer, type Scope } from "effect"
import type { HookResult, Hooks } from "./Hooks.ts"
import type { Message } from "./Message.ts"
import * as Plugin from "./Plugin.ts"
import * as Replies from "./Replies.ts"
import * as Runner from "./Runner.ts"
import type { AuthAttempt, Connection, Helo, Transaction } from "./Session.ts"
import * as Store from "./Store.ts"

/** The pipeline service: one method per inbound phase, each returning the combined verdict. */
export interface PipelineShape {
  /** Plugin names in hook order. */
  readonly plugins: ReadonlyArray<string>
  readonly connect: (connection: Connection) => Effect.Effect<Verdict.Verdict>
  readonly helo: (connection: Connection, helo: Helo) => Effect.Effect<Verdict.Verdict>
  readonly auth: (connection: Connection, attempt: AuthAttempt) => Effect.Effect<Verdict.Verdict>
  readonly mailFrom: (transaction: Transaction) => Effect.Effect<Verdict.Verdict>
  readonly rcptTo: (transaction: Transaction, recipient: Envelope.Recipient) => Effect.Effect<Verdict.Verdict>
  readonly data: (transaction: Transaction) => Effect.Effect<Verdict.Verdict>
  readonly message: (transaction: Transaction, message: Message) => Effect.Effect<Verdict.Verdict>
  readonly queue: (transaction: Transaction, message: Message) => Effect.Effect<Verdict.Verdict>
  readonly disconnect: (connection: Connection) => Effect.Effect<void>
}

type Built = Plugin.Built<Hooks>

const decide = (built: ReadonlyArray<Built>, phase: keyof Hooks, call: (hooks: Hooks) => HookResult | undefined) =>
  Runner.decide(built, phase, call, Replies.tempFail)

const orDefault = (fallback: Verdict.Verdict) => (verdict: Verdict.Verdict): Verdict.Verdict =>
  verdict._tag === "Continue" ? fallback : verdict

/** Builds the pipeline service from already-built hooks (used by the layer; handy in tests). */
export const fromHooks = (built: ReadonlyArray<Built>): PipelineShape => ({
  plugins: built.map((b) => b.plugin.name),
  connect: (connection) => decide(built, "connect", (h) => h.connect?.(connection)),
  helo: (connection, helo) => decide(built, "helo", (h) => h.helo?.(connection, helo)),
  auth: (connection, attempt) =>
    decide(built, "auth", (h) => h.auth?.(connection, attempt)).pipe(Effect.map(orDefault(Replies.authInvalid))),
  mailFrom: (transaction) => decide(built, "mailFrom", (h) => h.mailFrom?.(transaction)),
  rcptTo: (transaction, recipient) =>
    decide(built, "rcptTo", (h) => h.rcptTo?.(transaction, recipient)).pipe(Effect.map(orDefault(Replies.relayDenied))),
  data: (transaction) => decide(built, "data", (h) => h.data?.(transaction)),
  message: (transaction, message) => decide(built, "message", (h) => h.message?.(transaction, message)),
  queue: (transaction, message) => Store.run(built, transaction, message),
  disconnect: (connection) => Runner.observe(built, "disconnect", (h) => h.disconnect?.(connection))
})

/** The pipeline of an SMTP server. */
export class Pipeline extends Context.Service<Pipeline, PipelineShape>()("@cartero/core/Pipeline") {
  /**
   * The pipeline layer. Plugins are built sequentially in array order, inside the layer's scope. Its error and
   * requirement types are the unions of the plugins'.
   */
  static readonly layer = <const Plugins extends ReadonlyArray<Plugin.Plugin<unknown, unknown>>>(
    plugins: Plugins
  ): Layer.Layer<Pipeline, Plugin.ErrorOf<Plugins[number]>, Exclude<Plugin.RequirementsOf<Plugins[number]>, Scope.Scope>> =>
    Layer.effect(Pipeline, Plugin.buildAll<Hooks, Plugins>(plugins).pipe(Effect.map((built) => Pipeline.of(fromHooks(built)))))
}
