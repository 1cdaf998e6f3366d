/**
 * `@cartero/plugin-greylist`: greylisting by (client network, sender, recipient) triplet, with auto-whitelisting of
 * clients and a pass for SPF-pass senders with an aligned DKIM signature, in the app's `PolicyStore`.
 *
 * @since 0.1.0
 */
export * as Greylist from "./Greylist.ts"
export * as Triplet from "./Triplet.ts"
