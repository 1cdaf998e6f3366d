/**
 * `@cartero/mail-auth`: what the SPF, DKIM, ARC and DMARC plugins share.
 *
 * @since 0.1.0
 */
export * as AuthenticationResults from "./AuthenticationResults.ts"
export * as Client from "./Client.ts"
export * as Resolver from "./Resolver.ts"
export * as Results from "./Results.ts"
