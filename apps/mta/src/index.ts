/**
 * `@cartero/mta`: the reference MTA, as layers (for tests and embedding) plus `main.ts` (the process).
 *
 * @since 0.1.0
 */
export * as AppConfig from "./AppConfig.ts"
export * as HttpApp from "./HttpApp.ts"
export * as Logging from "./Logging.ts"
export * as MtaApp from "./MtaApp.ts"
export * as ProcessExit from "./ProcessExit.ts"
