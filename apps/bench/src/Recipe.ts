/**
 * What the spawned Cartero is, for `accept`: the relay of the earlier rounds, or an inbound MX (`--recipe`).
 *
 * - `relay` (the default): the load generator's network is trusted and the recipients' domain is remote, so every
 *   message is relayed: queued durably, delivered to the tool's sink (src/Cartero.ts). Filtering plugins skip
 *   trusted clients, so this is the path of a submission relay, not of an MX.
 * - `bare-mx`: an inbound MX with the app's default plugins: the client is not trusted, the recipients' domain is
 *   local, every message is stored in Maildir (no queue). No config file.
 * - `mx`: the same MX with the inbound MX recipe of docs/filtering.md, `apps/mta/recipes/inbound-mx.config.ts`, as it
 *   is, its settings overridden by the environment (which wins) where a benchmark needs it: {@link mxSettings}.
 *
 * Both MX recipes get the same DNS (a {@link FakeDns} server in the bench process, real UDP on loopback, through
 * `CARTERO_DNS_SERVERS`) and the same message: signed once per run with a fresh RSA 2048 key whose record the
 * server publishes, from a sender whose SPF record allows 127.0.0.0/8 and whose DMARC policy is `p=reject`, so every
 * message is `spf=pass dkim=pass dmarc=pass`: the full path of legitimate mail. Nothing is on the blocklists
 * (NXDOMAIN). The records live a day, NXDOMAIN too: after the first lookups the app's DNS cache answers, so a run
 * measures the filtering, not the DNS round trips.
 *
 * @since 0.1.0
 */
import * as DkimKeys from "@cartero/plugin-dkim-verify/testing"
import { FakeDns } from "@cartero/testing"
import { Effect, type Scope } from "effect"
import { dkimSign } from "mailauth"
import { fileURLToPath } from "node:url"
import type * as BenchMessage from "./BenchMessage.ts"
import type { Recipe } from "./Cli.ts"

/** The sender's domain: its SPF, DKIM key and DMARC policy are served by {@link start}'s FakeDns. */
export const senderDomain = "bench-sender.test"
export const sender = `bench@${senderDomain}`
/** The client's EHLO name (a name of the sender's domain, as a real MTA's would be). */
export const helo = `mail.${senderDomain}`
export const selector = "bench"

/** The blocklist zone given to the recipe's DNSBL plugin: nothing listed, every query NXDOMAIN. */
export const blocklistZone = "bl.bench.test"

/** The `mx` recipe's config file: the inbound MX recipe of docs/filtering.md. */
export const configFile = fileURLToPath(new URL("../../mta/recipes/inbound-mx.config.ts", import.meta.url))

/** A rate the benchmark never reaches: the counting is paid, nothing is refused. */
const unreached = "1000000000/1h"

/**
 * What the `mx` recipe's own settings become for a benchmark (the environment wins over a config's settings):
 *
 * - the blocklist is the FakeDns zone, with the recipe's return-code filter, and the loopback client is checked
 *   (`CARTERO_DNSBL_CHECK_PRIVATE`; the plugin skips private addresses by default), so the lookup is paid;
 * - the recipe's rate limits (60 connections a minute, 200 messages an hour per client) would refuse the benchmark
 *   after its first 200 messages: raised out of reach, still counted;
 * - our own `authserv-id` in `Authentication-Results:` (the recipe's is `mx.example.com`).
 *
 * Everything else is the recipe's: SPF `fail` refused, DMARC enforced, greylisting with its 5-minute delay.
 */
export const mxSettings: Readonly<Record<string, string>> = {
  CARTERO_DNSBL_ZONES: `${blocklistZone}=127.0.0.[2..11]`,
  CARTERO_DNSBL_CHECK_PRIVATE: "true",
  CARTERO_RATE_LIMIT_CLIENT_CONNECTIONS: unreached,
  CARTERO_RATE_LIMIT_CLIENT_MESSAGES: unreached,
  CARTERO_AUTHSERV_ID: "cartero.bench.invalid"
}

/**
 * `CARTERO_CONFIG` for the recipe, for the app's build (which compiles the config in) and the app alike: the
 * recipe's file, or `none` so that a developer's own `cartero.config.ts` is never picked up by a benchmark.
 */
export const configSetting = (recipe: Recipe): string => recipe === "mx" ? configFile : "none"

/** A day: longer than any benchmark, so nothing expires from the app's cache during a run. */
const ttl = 86_400

/** The DNS of the sender's domain. `dkimRecord` is the `v=DKIM1` TXT record of the signing key. */
export const zones = (dkimRecord: string): FakeDns.Zones => ({
  [senderDomain]: { TXT: ["v=spf1 ip4:127.0.0.0/8 -all"], MX: [{ priority: 10, exchange: helo }], ttl },
  [helo]: { A: ["127.0.0.1"], ttl },
  [`${selector}._domainkey.${senderDomain}`]: { TXT: [dkimRecord], ttl },
  [`_dmarc.${senderDomain}`]: { TXT: ["v=DMARC1; p=reject"], ttl }
})

/**
 * The fields stamped per send (src/BenchMessage.ts) cannot be signed. They are left out of the text given to the
 * signer, which then signs the fields of its default list that are present (From, To, Subject, Date, MIME-Version,
 * Content-Type); verifiers hash only the fields the signature names, so the stamped fields added back are not
 * covered. (mailauth 4.13.3's `headerList` option would be the direct way, but its signer reads it as a
 * colon-separated string while its types say an array.) A verifier's work per field is small next to the body hash
 * and the RSA verification, which are paid in full.
 */
const stampedFields = /^(?:Message-ID|X-Bench-Id):[^\r\n]*\r\n/gim

/** A running DNS world for the MX recipes. */
export interface World {
  /** `host:port` for `CARTERO_DNS_SERVERS`. */
  readonly nameserver: string
  /** DKIM-signs a rendered message with the published key. */
  readonly sign: BenchMessage.Sign
  /** The queries the server answered so far, `TYPE name`, oldest first (a run served by the app's cache adds none). */
  readonly queryLog: () => Promise<ReadonlyArray<string>>
}

/** Starts the FakeDns server (for the scope) and makes the signing key. */
export const start: Effect.Effect<World, FakeDns.FakeDnsError, Scope.Scope> = Effect.gen(function*() {
  const key = DkimKeys.generate("rsa")
  const dns = yield* FakeDns.make(zones(key.record), { negativeTtl: ttl })
  const signature = { signingDomain: senderDomain, selector, privateKey: key.privateKey, algorithm: key.algorithm }
  const sign: BenchMessage.Sign = async (message) => {
    // mailauth signs with the entries of `signatureData`; the top-level fields are its required defaults.
    const result = await dkimSign(message.replace(stampedFields, ""), {
      ...signature,
      canonicalization: "relaxed/relaxed",
      // Without it mailauth 4.13.3 reads the clock twice: a signature made across a second boundary does not verify.
      signTime: new Date(),
      signatureData: [{ ...signature, canonicalization: "relaxed/relaxed" }]
    })
    const error = result.errors[0]
    if (error !== undefined) throw new Error(`DKIM signing failed: ${String(error)}`)
    return result.signatures
  }
  return {
    nameserver: dns.nameserver,
    sign,
    queryLog: () => Effect.runPromise(Effect.map(dns.queries, (qs) => qs.map((q) => `${q.type} ${q.name}`)))
  }
})
