/**
 * `@cartero/settings`: one way to read an operator setting (`CARTERO_*`), with one syntax for durations, sizes,
 * lists and booleans, and one error format (`VARIABLE: expected …, got "…"`).
 *
 * @since 0.1.0
 */
export * as Setting from "./Setting.ts"
