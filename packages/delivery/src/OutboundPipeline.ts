/**
 * The ordered runner of outbound plugins (see {@link OutboundHooks} for the phase semantics), on core's `Runner`:
 * `OutboundPipeline.OutboundPipeline.layer([a, b])` builds the plugins in array order, inside the layer's scope,
 * and that order is the hook order. Each call runs in a span `plugin.<name>.<phase>` under the plugin's timeout.
 *
 * @since 0.1.0
 */
import { Headers } from "@cartero/mime"
import { Plugin, Runner } from "@cartero/core"
import { Header, type SmtpReply } from "@cartero/smtp"
import { Context, Effect, Layer, type Scope } from "effect"
import type {
  BouncedEvent,
  BouncedVerdict,
  ClaimContext,
  DeferredEvent,
  DeferredVerdict,
  DeliveredEvent,
  OutboundHooks,
  OutboundPlugin,
  RouteVerdict,
  SendContext
} from "./OutboundHooks.ts"
import * as Replies from "./Replies.ts"

/** The pipeline: one method per outbound phase. */
export interface Shape {
  readonly plugins: ReadonlyArray<string>
  readonly route: (context: ClaimContext) => Effect.Effect<RouteVerdict>
  /** Headers to prepend, or the reply to defer with when a hook failed. */
  readonly beforeSend: (context: SendContext) => Effect.Effect<ReadonlyArray<Header.Header>, SmtpReply.SmtpReply>
  readonly delivered: (event: DeliveredEvent) => Effect.Effect<void>
  readonly deferred: (event: DeferredEvent) => Effect.Effect<DeferredVerdict>
  readonly bounced: (event: BouncedEvent) => Effect.Effect<BouncedVerdict>
}

type Built = Plugin.Built<OutboundHooks>

// A `route` or `beforeSend` hook that could not complete defers the claim.
const routeFailed: RouteVerdict = { _tag: "Defer", reply: Replies.hookFailed }

/** The pipeline over already-built hooks (used by the layers; handy in tests). */
export const fromHooks = (built: ReadonlyArray<Built>): Shape => ({
  plugins: built.map((b) => b.plugin.name),
  route: (context) => Runner.decide(built, "route", (h) => h.route?.(context), routeFailed),
  beforeSend: (context) =>
    // Re-validated: a hook may hand back a hand-made object with CR/LF in it.
    Runner.collect(built, "beforeSend", (h) => h.beforeSend?.(context)?.pipe(Effect.map((hs) => hs.map((x) => Header.make(x.name, x.value)))))
      .pipe(Effect.mapError(() => Replies.hookFailed)),
  delivered: (event) => Runner.observe(built, "delivered", (h) => h.delivered?.(event)),
  deferred: (event) => Runner.decide(built, "deferred", (h) => h.deferred?.(event), undefined),
  bounced: (event) => Runner.decide(built, "bounced", (h) => h.bounced?.(event), undefined)
})

/** The outbound pipeline service. */
export class OutboundPipeline extends Context.Service<OutboundPipeline, Shape>()("@cartero/delivery/OutboundPipeline") {
  /** The pipeline layer: plugins built sequentially in array order; errors and requirements are their unions. */
  static readonly layer = <const Plugins extends ReadonlyArray<OutboundPlugin<unknown, unknown>>>(
    plugins: Plugins
  ): Layer.Layer<OutboundPipeline, Plugin.ErrorOf<Plugins[number]>, Exclude<Plugin.RequirementsOf<Plugins[number]>, Scope.Scope>> =>
    Layer.effect(
      OutboundPipeline,
      Plugin.buildAll<OutboundHooks, Plugins>(plugins).pipe(Effect.map((built) => OutboundPipeline.of(fromHooks(built))))
    )

  /** No plugins: MX routing, nothing added, bounces sent. */
  static readonly layerEmpty: Layer.Layer<OutboundPipeline> = Layer.succeed(OutboundPipeline, OutboundPipeline.of(fromHooks([])))
}

/** Renders prepended header fields, folded by `@cartero/mime` (the one header renderer), CRLF-terminated. */
export const renderHeaders = (headers: ReadonlyArray<Header.Header>): Uint8Array =>
  Buffer.from(headers.map((h) => Headers.format(h.name, h.value, { utf8: true })).join(""), "utf8")
