/**
 * `@cartero/faults`: the fault matrix run against the reference app, for use from tests. The command line is
 * `src/main.ts` (`pnpm faults --help`).
 *
 * @since 0.1.0
 */
export * as Cli from "./Cli.ts"
export * as Matrix from "./Matrix.ts"
export * as Report from "./Report.ts"
export * as Scenario from "./Scenario.ts"
export * as Flapping from "./scenarios/Flapping.ts"
