/**
 * `@cartero/http-api`: the operator's HTTP API (`effect/http-api` on `@effect/platform-node`): health, readiness,
 * Prometheus metrics, the queue, and the OpenAPI description generated from the API's schemas.
 *
 * @since 0.1.0
 */
export * as Api from "./Api.ts"
export * as ApiError from "./ApiError.ts"
export * as ApiServer from "./ApiServer.ts"
export * as Authorization from "./Authorization.ts"
export * as AuthorizationLive from "./AuthorizationLive.ts"
export * as Credentials from "./Credentials.ts"
export * as Events from "./Events.ts"
export * as Handlers from "./Handlers.ts"
export * as HttpConfig from "./HttpConfig.ts"
export * as MailboxHandlers from "./MailboxHandlers.ts"
export * as MailboxViews from "./MailboxViews.ts"
export * as QueueBreakdown from "./QueueBreakdown.ts"
export * as QueueMetrics from "./QueueMetrics.ts"
export * as QueueSelection from "./QueueSelection.ts"
export * as Readiness from "./Readiness.ts"
export * as WebUi from "./WebUi.ts"
