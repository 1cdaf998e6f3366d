/**
 * `@cartero/catcher`: a development mail catcher assembled from Cartero's packages.
 *
 * @since 0.1.0
 */
export * as AcceptAll from "./AcceptAll.ts"
export * as Catcher from "./Catcher.ts"
export * as CatcherConfig from "./CatcherConfig.ts"
