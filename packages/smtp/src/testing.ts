/**
 * `@cartero/smtp/testing`: fast-check arbitraries for network input (replies, paths, envelopes) and the properties
 * the package's parsers keep. A separate entry point, because it loads fast-check; production code imports
 * `@cartero/smtp` only. The fuzz script (`pnpm --filter @cartero/smtp fuzz`, `fuzz/main.ts`) runs the properties
 * at length.
 *
 * @since 0.1.0
 */
export * as Arbitraries from "./testing/Arbitraries.ts"
export * as Properties from "./testing/Properties.ts"
