/**
 * `@cartero/core`: plugins, hooks and the ordered plugin pipeline.
 *
 * @since 0.1.0
 */
export * as Deadline from "./Deadline.ts"
export * as Handoff from "./Handoff.ts"
export * as Hooks from "./Hooks.ts"
export * as LogGate from "./LogGate.ts"
export * as Message from "./Message.ts"
export * as Notes from "./Notes.ts"
export * as Pipeline from "./Pipeline.ts"
export * as Plugin from "./Plugin.ts"
export * as PluginError from "./PluginError.ts"
export * as RandomPool from "./RandomPool.ts"
export * as Session from "./Session.ts"
export * as Setting from "./Setting.ts"
export * as TxnNote from "./TxnNote.ts"
