/**
 * `@cartero/core`: the plugin model. Plugins as values, the hooks they implement at each phase, the ordered
 * runner, the store protocol of the `queue` phase, and typed notes shared between plugins.
 *
 * @since 0.1.0
 */
export * as HeaderEdits from "./HeaderEdits.ts"
export * as Hooks from "./Hooks.ts"
export * as Message from "./Message.ts"
export * as Notes from "./Notes.ts"
export * as Pipeline from "./Pipeline.ts"
export * as Plugin from "./Plugin.ts"
export * as PluginMetrics from "./PluginMetrics.ts"
export * as Replies from "./Replies.ts"
export * as Runner from "./Runner.ts"
export * as Session from "./Session.ts"
export * as Store from "./Store.ts"
