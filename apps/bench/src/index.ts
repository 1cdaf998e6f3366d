/**
 * `@cartero/bench`: the load generator, the counting sink and the benchmark scenarios, for use from tests and
 * scripts. The command line is `src/main.ts` (`pnpm bench -- help`).
 *
 * @since 0.1.0
 */
export * as BenchMessage from "./BenchMessage.ts"
export * as Cartero from "./Cartero.ts"
export * as Cli from "./Cli.ts"
export { CountingSink } from "./CountingSink.ts"
export * as LoadGenerator from "./LoadGenerator.ts"
export * as ProcessSampler from "./ProcessSampler.ts"
export * as ServerProcess from "./ServerProcess.ts"
export * as Stats from "./Stats.ts"
