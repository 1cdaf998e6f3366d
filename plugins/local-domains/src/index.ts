/**
 * `@cartero/plugin-local-domains`: accept mail for local domains; relay only for authenticated or trusted clients.
 *
 * @since 0.1.0
 */
export * as Cidr from "./Cidr.ts"
export * as LocalDomains from "./LocalDomains.ts"
export * as RecipientPolicy from "./RecipientPolicy.ts"
