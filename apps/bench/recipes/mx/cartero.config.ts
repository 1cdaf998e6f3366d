// The inbound MX recipe that `pnpm bench -- accept --recipe mx` measures (apps/bench/src/Recipe.ts): the filtering
// plugins in the recommended order, then the app's own (relay rule, Maildir, queue). The bench gives the app its
// DNS (CARTERO_DNS_SERVERS: a FakeDns server with the sender's SPF, DKIM key and DMARC policy, and blocklist zones
// that list nobody); the names below are the ones apps/bench/src/Recipe.ts serves.
import { defaults, defineConfig } from "@cartero/mta/config"
import { ArcVerify } from "@cartero/plugin-arc"
import { DkimVerify } from "@cartero/plugin-dkim-verify"
import { Dnsbl } from "@cartero/plugin-dnsbl"

export default defineConfig({
  plugins: [
    Dnsbl.plugin({
      zones: ["bl.bench.test=127.0.0.[2..11]"],
      domainZones: ["dbl.bench.test=127.0.1.[2..99]"],
      // The load generator is a loopback client, which the plugin skips by default: check it, so the lookups
      // (answered from the app's DNS cache after the first) are paid as they are for a client on the Internet.
      checkPrivate: true
    }),
    DkimVerify.plugin(),
    ArcVerify.plugin(),
    ...defaults.plugins
  ]
})
