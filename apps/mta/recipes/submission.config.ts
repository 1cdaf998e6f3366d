// The submission recipe of docs/filtering.md: a server for example.com's own users (port 587 with STARTTLS and
// AUTH, 465 with TLS), which completes their messages' headers and signs everything it sends with DKIM.
//
// - inbound, after the body: the headers plugin adds Message-ID and Date where the mail client left them out and
//   removes Bcc (it must never reach a recipient); then the defaults (auth, local-domains, maildir, queue);
// - rate limits per authenticated user bound what a stolen password can send;
// - outbound, before each send: DKIM signing with the domain's keys (RSA and Ed25519: two signatures), then the
//   default outbound plugins.
//
// Generate the keys and the DNS records to publish with `pnpm cartero dkim keygen --domain example.com --selector
// s2026 --type rsa` (and `--type ed25519`). Every `*.pluginConfig` reads its CARTERO_* settings: from `settings`
// below, overridden by the environment.
import { defaults, defineConfig } from "@cartero/mta/config"
import { DkimSign } from "@cartero/plugin-dkim-sign"
import { Headers } from "@cartero/plugin-headers"
import { RateLimit } from "@cartero/plugin-rate-limit"

export default defineConfig({
  plugins: [RateLimit.pluginConfig, Headers.pluginConfig, ...defaults.plugins],
  outbound: [DkimSign.pluginConfig, ...defaults.outbound],
  settings: {
    CARTERO_HOSTNAME: "mail.example.com",
    CARTERO_LOCAL_DOMAINS: ["example.com"],
    CARTERO_SUBMISSION_PORT: 587,
    CARTERO_SMTPS_PORT: 465,
    CARTERO_AUTH_USERS_FILE: "/etc/cartero/users",
    CARTERO_TLS_CERT: "/etc/cartero/tls/fullchain.pem",
    CARTERO_TLS_KEY: "/etc/cartero/tls/privkey.pem",
    CARTERO_DKIM_KEYS: [
      "example.com:s2026r:/etc/cartero/dkim/example.com.s2026r.pem",
      "example.com:s2026e:/etc/cartero/dkim/example.com.s2026e.pem"
    ],
    CARTERO_HEADERS_PRIVACY: true,
    CARTERO_RATE_LIMIT_USER_MESSAGES: "500/1d",
    CARTERO_RATE_LIMIT_USER_RECIPIENTS: "2000/1d"
  }
})
