/**
 * `@cartero/examples`: the code the documentation shows, compiled and tested (docs/writing-a-plugin.md,
 * docs/assembling-a-server.md).
 *
 * @since 0.1.0
 */
export * as CustomServer from "./CustomServer.ts"
export * as InternalRelay from "./InternalRelay.ts"
export * as RecipientLimit from "./RecipientLimit.ts"
