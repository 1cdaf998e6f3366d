/**
 * `@cartero/delivery`: outbound delivery. For now the SMTP client and its connection pool; MX routing and the
 * delivery worker build on {@link SmtpClient}.
 *
 * @since 0.1.0
 */
export * as Auth from "./Auth.ts"
export * as Capabilities from "./Capabilities.ts"
export * as Commands from "./Commands.ts"
export * as ConnectError from "./ConnectError.ts"
export * as ConnectionPool from "./ConnectionPool.ts"
export * as DeliveryResult from "./DeliveryResult.ts"
export * as DotStuffer from "./DotStuffer.ts"
export * as ReplyReader from "./ReplyReader.ts"
export * as SmtpClient from "./SmtpClient.ts"
export * as SmtpConnection from "./SmtpConnection.ts"
export * as Timeouts from "./Timeouts.ts"
export * as TlsPolicy from "./TlsPolicy.ts"
export * as Transaction from "./Transaction.ts"
// MX routing and the delivery worker
export * as Bounce from "./Bounce.ts"
export * as DeliveryConfig from "./DeliveryConfig.ts"
export * as DeliveryMetrics from "./DeliveryMetrics.ts"
export * as DeliveryWorker from "./DeliveryWorker.ts"
export * as DestinationLimits from "./DestinationLimits.ts"
export * as OutboundHooks from "./OutboundHooks.ts"
export * as OutboundPipeline from "./OutboundPipeline.ts"
export * as Route from "./Route.ts"
export * as Router from "./Router.ts"
export * as StaticRoutes from "./StaticRoutes.ts"
export * as DelayNotice from "./DelayNotice.ts"
