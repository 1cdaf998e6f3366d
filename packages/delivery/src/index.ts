/**
 * `@cartero/delivery`: outbound delivery. The delivery worker claims queued mail, routes it (static routes, MX,
 * implicit MX), runs the outbound plugins, sends it with the SMTP client over pooled connections, decides what
 * becomes of each recipient (delivered, retried, given up) and bounces failures with a DSN.
 *
 * @since 0.1.0
 */
// The SMTP client
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
// Routing, the delivery worker and its plugins
export * as Bounce from "./Bounce.ts"
export * as DelayNotice from "./DelayNotice.ts"
export * as DeliveredNotice from "./DeliveredNotice.ts"
export * as NoticeFields from "./NoticeFields.ts"
export * as SuccessNotice from "./SuccessNotice.ts"
export * as DeliveryConfig from "./DeliveryConfig.ts"
export * as DeliveryMetrics from "./DeliveryMetrics.ts"
export * as DeliveryWorker from "./DeliveryWorker.ts"
export * as DestinationLimits from "./DestinationLimits.ts"
export * as Disposition from "./Disposition.ts"
export * as LeaseKeeper from "./LeaseKeeper.ts"
export * as OutboundHooks from "./OutboundHooks.ts"
export * as OutboundPipeline from "./OutboundPipeline.ts"
export * as Replies from "./Replies.ts"
export * as RetryPolicy from "./RetryPolicy.ts"
export * as Route from "./Route.ts"
export * as Router from "./Router.ts"
export * as StaticRoutes from "./StaticRoutes.ts"
export * as Transport from "./Transport.ts"
