/**
 * `@cartero/server`: inbound SMTP over `smtp-server`, running the plugin pipeline at every phase.
 *
 * @since 0.1.0
 */
export * as ClientKey from "./ClientKey.ts"
export * as DataReader from "./DataReader.ts"
export * as ProxyHeader from "./ProxyHeader.ts"
export * as ProxyTrust from "./ProxyTrust.ts"
export * as ReceivedHeader from "./ReceivedHeader.ts"
export * as ServerConfig from "./ServerConfig.ts"
export * as ServerError from "./ServerError.ts"
export * as ServerMetrics from "./ServerMetrics.ts"
export * as ServerOptions from "./ServerOptions.ts"
export * as SmtpServer from "./SmtpServer.ts"
export * as TransactionId from "./TransactionId.ts"
