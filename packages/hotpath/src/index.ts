/**
 * `@cartero/hotpath`: helpers for code that runs for every SMTP command or every message, each a cheaper stand-in
 * for an Effect idiom that showed up in the profiles (docs/benchmarks.md): `Deadline.within` for `Effect.timeout`,
 * `LogGate.whenEnabled` for log lines below the current level, `RandomPool.take` for ids, `TraceGate.span` for spans made only when message traces are on.
 *
 * @since 0.1.0
 */
export * as Deadline from "./Deadline.ts"
export * as LogGate from "./LogGate.ts"
export * as RandomPool from "./RandomPool.ts"
export * as TraceGate from "./TraceGate.ts"
