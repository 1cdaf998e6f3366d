/**
 * `@cartero/queue/testing`: the `QueueStore` conformance suite and its fixtures. A separate entry point, because
 * it loads `@effect/vitest`; production code imports `@cartero/queue` only.
 *
 * @since 0.1.0
 */
export * as ChildProcess from "./testing/ChildProcess.ts"
export * as CrashScenario from "./testing/CrashScenario.ts"
export * as Fixtures from "./testing/Fixtures.ts"
export * as QueueStoreSuite from "./testing/QueueStoreSuite.ts"
export * as Tamper from "./testing/Tamper.ts"
