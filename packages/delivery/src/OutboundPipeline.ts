/**
 * The ordered runner of outbound plugins (see {@link OutboundHooks} for the phase semantics). Like core's
 * `Pipeline`: `OutboundPipeline.layer([a, b])` builds the plugins in array order, inside the layer's scope, and
 * that order is the hook order. Each call runs in a span `plugin.<name>.<phase>` under the plugin's timeout.
 *
 * @since 0.1.0
 */
import { Headers } from "@cartero/mime"
import { Header, SmtpReply } from "@cartero/smtp"
import { Plugin } from "@cartero/core"
import { Context, Effect, Layer, type Scope } from "effect"
import type * as DeliveryResult from "./DeliveryResult.ts"
import type {
  BounceDecision,
  BouncedEvent,
  ClaimContext,
  DeferDecision,
  DeferredEvent,
  DeliveredEvent,
  OutboundHooks,
  OutboundPlugin,
  RouteDecision,
  SendContext
} from "./OutboundHooks.ts"

/** `beforeSend` could not complete: the claim is deferred with this reply. */
export const hookFailedReply: SmtpReply.SmtpReply = SmtpReply.make(451, "4.3.0", "Temporary local problem (outbound plugin)")

/** The pipeline: one method per outbound phase. */
export interface Shape {
  readonly plugins: ReadonlyArray<string>
  readonly route: (context: ClaimContext) => Effect.Effect<RouteDecision>
  /** Headers to prepend, or the reply to defer with when a hook failed. */
  readonly beforeSend: (context: SendContext) => Effect.Effect<ReadonlyArray<Header.Header>, SmtpReply.SmtpReply>
  readonly delivered: (event: DeliveredEvent) => Effect.Effect<void>
  readonly deferred: (event: DeferredEvent) => Effect.Effect<DeferDecision>
  readonly bounced: (event: BouncedEvent) => Effect.Effect<BounceDecision>
}

/** The outbound pipeline service. */
export class OutboundPipeline extends Context.Service<OutboundPipeline, Shape>()("@cartero/delivery/OutboundPipeline") {
  /** No plugins: MX routing, nothing added, bounces sent. */
  static readonly layerEmpty: Layer.Layer<OutboundPipeline> = Layer.effect(
    OutboundPipeline,
    Effect.sync(() => OutboundPipeline.of(fromHooks([])))
  )
}

type Built = Plugin.Built<OutboundHooks>

/** First non-`Continue` wins; a failing hook counts as `fallback`. */
const decide = <D extends { readonly _tag: string }>(
  built: ReadonlyArray<Built>,
  phase: string,
  call: (hooks: OutboundHooks) => Effect.Effect<D, unknown> | undefined,
  onFailure: D | undefined
): Effect.Effect<D | { readonly _tag: "Continue" }> =>
  Effect.gen(function*() {
    for (const { hooks, plugin } of built) {
      const effect = call(hooks)
      if (effect === undefined) continue
      const decision = yield* Effect.result(Plugin.guard(plugin, phase, effect))
      if (decision._tag === "Failure") {
        if (onFailure !== undefined) return onFailure
        continue
      }
      if (decision.success._tag !== "Continue") return decision.success
    }
    return { _tag: "Continue" } as const
  })

/** The pipeline over already-built hooks (used by {@link layer}; handy in tests). */
export const fromHooks = (built: ReadonlyArray<Built>): Shape => ({
  plugins: built.map((b) => b.plugin.name),
  route: (context) =>
    decide<RouteDecision>(built, "route", (h) => h.route?.(context), { _tag: "Defer", reply: hookFailedReply }) as Effect.Effect<RouteDecision>,
  beforeSend: (context) =>
    Effect.gen(function*() {
      const headers: Array<Header.Header> = []
      for (const { hooks, plugin } of built) {
        const effect = hooks.beforeSend?.(context)
        if (effect === undefined) continue
        // Re-validate: a hook may hand back a hand-made object with CR/LF in it.
        const got = yield* Plugin.guard(plugin, "beforeSend", Effect.map(effect, (hs) => hs.map((h) => Header.make(h.name, h.value)))).pipe(
          Effect.mapError(() => hookFailedReply)
        )
        headers.push(...got)
      }
      return headers
    }),
  delivered: (event) =>
    Effect.forEach(built, ({ hooks, plugin }) => {
      const effect = hooks.delivered?.(event)
      return effect === undefined ? Effect.void : Effect.ignore(Plugin.guard(plugin, "delivered", effect))
    }, { discard: true }),
  deferred: (event) => decide<DeferDecision>(built, "deferred", (h) => h.deferred?.(event), undefined) as Effect.Effect<DeferDecision>,
  bounced: (event) => decide<BounceDecision>(built, "bounced", (h) => h.bounced?.(event), undefined) as Effect.Effect<BounceDecision>
})

/** The pipeline layer: plugins built sequentially in array order; errors and requirements are their unions. */
export const layer = <const Plugins extends ReadonlyArray<OutboundPlugin<unknown, unknown>>>(
  plugins: Plugins
): Layer.Layer<OutboundPipeline, Plugin.ErrorOf<Plugins[number]>, Exclude<Plugin.RequirementsOf<Plugins[number]>, Scope.Scope>> =>
  Layer.effect(
    OutboundPipeline,
    Plugin.buildAll<OutboundHooks, Plugins>(plugins).pipe(Effect.map((built) => OutboundPipeline.of(fromHooks(built))))
  )

/** Renders prepended header fields, folded by `@cartero/mime` (the one header renderer), CRLF-terminated. */
export const renderHeaders = (headers: ReadonlyArray<Header.Header>): Uint8Array =>
  Buffer.from(headers.map((h) => Headers.format(h.name, h.value, { utf8: true })).join(""), "utf8")

/** Delivered results only (for the `delivered` observers). */
export const deliveredOf = (results: ReadonlyArray<DeliveryResult.RecipientResult>): Array<DeliveryResult.Delivered> =>
  results.filter((r): r is DeliveryResult.Delivered => r._tag === "Delivered")
