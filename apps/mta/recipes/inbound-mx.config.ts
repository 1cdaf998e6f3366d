// The inbound MX recipe of docs/filtering.md: a server that receives the Internet's mail for example.com.
//
// Order matters, phase by phase (the first plugin that decides wins; docs/phases.md):
// - connect / RCPT TO: the DNS blocklist first (cheapest refusal, no DNS beyond one cached query per client),
//   then SPF at MAIL FROM, then rate limits, then greylisting — all before local-domains (in defaults.plugins),
//   which accepts recipients and would end the RCPT TO phase;
// - after the body: the DKIM verifier and the ARC verifier record results, DMARC reads them (with SPF's) and writes
//   the one Authentication-Results field, greylisting then passes SPF-pass senders with an aligned DKIM pass;
// - the defaults store the message (Maildir for local users, the queue for relayed mail).
//
// Every `*.pluginConfig` reads its CARTERO_* settings: from `settings` below, overridden by the environment.
// Copy to your working directory as cartero.config.ts (or point CARTERO_CONFIG at it) and start with `pnpm start`.
import { defaults, defineConfig } from "@cartero/mta/config"
import { ArcVerify } from "@cartero/plugin-arc"
import { DkimVerify } from "@cartero/plugin-dkim-verify"
import { Dmarc } from "@cartero/plugin-dmarc"
import { Dnsbl } from "@cartero/plugin-dnsbl"
import { Greylist } from "@cartero/plugin-greylist"
import { RateLimit } from "@cartero/plugin-rate-limit"
import { Spf } from "@cartero/plugin-spf"

export default defineConfig({
  plugins: [
    Dnsbl.pluginConfig,
    Spf.pluginConfig,
    RateLimit.pluginConfig,
    DkimVerify.plugin(),
    ArcVerify.plugin(),
    Dmarc.pluginConfig,
    Greylist.pluginConfig,
    ...defaults.plugins
  ],
  settings: {
    CARTERO_HOSTNAME: "mx.example.com",
    CARTERO_LOCAL_DOMAINS: ["example.com"],
    // An MX trusts nobody by network: relaying is for authenticated submission only.
    CARTERO_TRUSTED_NETWORKS: "",
    CARTERO_AUTHSERV_ID: "mx.example.com",
    // Spamhaus ZEN: refuse on the listing codes, never on its error codes (127.255.255.x).
    CARTERO_DNSBL_ZONES: ["zen.spamhaus.org=127.0.0.[2..11]"],
    CARTERO_SPF_FAIL: "reject",
    CARTERO_SPF_SOFTFAIL: "tag",
    CARTERO_SPF_TEMPERROR: "defer",
    CARTERO_DMARC_MODE: "enforce",
    CARTERO_DMARC_REJECT: "reject",
    CARTERO_RATE_LIMIT_CLIENT_CONNECTIONS: "60/1m",
    CARTERO_RATE_LIMIT_CLIENT_MESSAGES: "200/1h",
    CARTERO_RATE_LIMIT_RECIPIENTS_PER_MESSAGE: "100",
    CARTERO_GREYLIST_DELAY: "5m"
  }
})
