/**
 * `@cartero/plugin-dkim-sign`: DKIM signatures on outbound mail (RSA and Ed25519), and the key pairs and DNS records
 * they need.
 *
 * @since 0.1.0
 */
export * as DkimSign from "./DkimSign.ts"
export * as DnsRecord from "./DnsRecord.ts"
export * as KeyGen from "./KeyGen.ts"
export * as SignedHeaders from "./SignedHeaders.ts"
export * as Signer from "./Signer.ts"
export * as SigningDomain from "./SigningDomain.ts"
export * as SigningKey from "./SigningKey.ts"
