/**
 * The webhook signature, the scheme of Standard Webhooks (https://www.standardwebhooks.com), so that receivers can
 * use its libraries: three headers,
 *
 * - `webhook-id`: the delivery's id, the same on every retry of the same delivery (deduplicate on it);
 * - `webhook-timestamp`: when this attempt was signed, in seconds since the epoch;
 * - `webhook-signature`: `v1,` + base64 of HMAC-SHA256(key, `<id>.<timestamp>.<body>`).
 *
 * The key is the secret's bytes: a secret written `whsec_<base64>` (the Standard Webhooks form) is that base64
 * decoded; any other text is taken as UTF-8. The timestamp is signed, so a receiver that refuses timestamps more
 * than a few minutes away from its clock ({@link verify}, 5 minutes by default) cannot be fed a recorded request
 * later (a replay); the id lets it drop a retry of a delivery it already took.
 *
 * @since 0.1.0
 */
import { Redacted } from "effect"
import * as crypto from "node:crypto"

/** The header names. */
export const headers = {
  id: "webhook-id",
  timestamp: "webhook-timestamp",
  signature: "webhook-signature"
} as const

/** The HMAC key of a secret (see the module's description). */
export const key = (secret: Redacted.Redacted<string>): Buffer => {
  const text = Redacted.value(secret)
  return text.startsWith("whsec_") ? Buffer.from(text.slice(6), "base64") : Buffer.from(text, "utf8")
}

/** `v1,<base64 HMAC-SHA256>` over `<id>.<timestamp>.<body>`. */
export const sign = (secret: Redacted.Redacted<string>, id: string, timestamp: number, body: Uint8Array): string => {
  const mac = crypto.createHmac("sha256", key(secret))
  mac.update(`${id}.${timestamp}.`)
  mac.update(body)
  return `v1,${mac.digest("base64")}`
}

/** Why a request does not verify. */
export type Failure = "missing headers" | "timestamp out of tolerance" | "bad signature"

/**
 * Verifies a request as a receiver would: the three headers present, the timestamp within `toleranceSeconds` of
 * `nowSeconds`, and one of the signatures (the header may list several, space-separated) equal to ours, compared in
 * constant time. `undefined` when it verifies.
 */
export const verify = (
  secret: Redacted.Redacted<string>,
  request: { readonly headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>; readonly body: Uint8Array },
  nowSeconds: number,
  toleranceSeconds = 300
): Failure | undefined => {
  const header = (name: string) => {
    const value = request.headers[name]
    return typeof value === "string" ? value : undefined
  }
  const id = header(headers.id)
  const timestamp = header(headers.timestamp)
  const signatures = header(headers.signature)
  if (id === undefined || timestamp === undefined || signatures === undefined || !/^\d{1,12}$/.test(timestamp)) return "missing headers"
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return "timestamp out of tolerance"
  const expected = Buffer.from(sign(secret, id, Number(timestamp), request.body))
  const match = signatures.split(" ").some((candidate) => {
    const given = Buffer.from(candidate)
    return given.length === expected.length && crypto.timingSafeEqual(given, expected)
  })
  return match ? undefined : "bad signature"
}
