// The inbound MX recipe that `pnpm bench -- accept --recipe mx` measures (apps/bench/src/Recipe.ts): the filtering
// plugins in the recommended order, then the app's own (relay rule, Maildir, queue). The bench gives the app its
// DNS (CARTERO_DNS_SERVERS: a FakeDns server with the sender's SPF, DKIM key and DMARC policy, and blocklist zones
// that list nobody); the names below are the ones apps/bench/src/Recipe.ts serves.
import { defaults, defineConfig } from "@cartero/mta/config"
import { ArcVerify } from "@cartero/plugin-arc"
import { DkimVerify } from "@cartero/plugin-dkim-verify"
import { Dmarc } from "@cartero/plugin-dmarc"
import { Dnsbl } from "@cartero/plugin-dnsbl"
import { Greylist } from "@cartero/plugin-greylist"
import { RateLimit } from "@cartero/plugin-rate-limit"
import { Spf } from "@cartero/plugin-spf"

/** A limit the benchmark never reaches: the counting is paid, nothing is refused. */
const unreached = { count: 1_000_000_000, per: "1 hour" } as const

export default defineConfig({
  plugins: [
    // Client address (at connect), HELO name and MAIL FROM domain against blocklists.
    Dnsbl.plugin({
      zones: ["bl.bench.test=127.0.0.[2..11]"],
      domainZones: ["dbl.bench.test=127.0.1.[2..99]"],
      // The load generator is a loopback client, which the plugin skips by default: check it, so the lookups
      // (answered from the app's DNS cache after the first) are paid as they are for a client on the Internet.
      checkPrivate: true
    }),
    // MAIL FROM: refuses forgeries of domains with -all before anything is counted or stored.
    Spf.plugin({ fail: "reject" }),
    // Counted in the app's PolicyStore (SQLite beside the queue; Redis with --store redis).
    RateLimit.plugin({
      perClient: { connections: unreached, messages: unreached, recipients: unreached },
      perSenderDomain: { messages: unreached, recipients: unreached },
      recipientsPerMessage: 50
    }),
    // After the body: DKIM first (ARC reuses its parse), then ARC, then DMARC, which reads the three results and
    // writes the one Authentication-Results field.
    DkimVerify.plugin(),
    ArcVerify.plugin(),
    Dmarc.plugin({ authservId: "cartero.bench.invalid" }),
    // After DMARC (forgeries are refused before any triplet is stored) and after the DKIM verifier, whose result
    // passes SPF-pass senders with an aligned signature: the bench's mail is passed by the greylist's own rule
    // (the first message after its body, the next ones as a known triplet at RCPT TO), never deferred.
    Greylist.plugin(),
    ...defaults.plugins
  ]
})
