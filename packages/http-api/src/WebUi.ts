/**
 * The web UI (`@cartero/web-ui`) on the API's server: the page at `/`, its files under `/ui/<version>/…`.
 *
 * - Same access rule as the API: when the server asks for credentials (`AuthMode` `basic`), so does the page (HTTP
 *   basic auth: the browser prompts once, then sends them with every request of the page, the API's included).
 * - A strict Content-Security-Policy: scripts only from this server (no inline script), no remote anything. Inline
 *   styles are allowed because an e-mail's HTML body is shown in a sandboxed `srcdoc` frame, which inherits this
 *   policy, and mail is styled inline; the frame has a stricter policy of its own (docs/decisions/web-ui.md).
 * - Caching: the versioned files are `immutable`; the page is revalidated (`no-cache` + ETag, so a reload costs a
 *   304) and names the current version.
 *
 * The files are read once, when the layer is built. If they cannot be (a broken installation), the API still
 * starts; the page answers 503 with the reason, which is also logged.
 *
 * @since 0.1.0
 */
import { Assets } from "@cartero/web-ui"
import { Effect, Layer, Redacted } from "effect"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { Credentials } from "./Credentials.ts"
import type { AuthMode } from "./HttpConfig.ts"

/** The page's Content-Security-Policy. */
export const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'"
].join("; ")

const securityHeaders = {
  "content-security-policy": contentSecurityPolicy,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin"
}

const immutable = "private, max-age=31536000, immutable"
const revalidate = "no-cache"

/** The credentials of an `Authorization: Basic …` header (RFC 7617), if well-formed. */
export const basicCredentials = (header: string | undefined): { readonly user: string; readonly password: string } | undefined => {
  const match = header === undefined ? null : /^basic +([A-Za-z0-9+/=]+) *$/i.exec(header)
  const encoded = match?.[1]
  if (encoded === undefined) return undefined
  const decoded = Buffer.from(encoded, "base64").toString("utf8")
  const colon = decoded.indexOf(":")
  return colon <= 0 ? undefined : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
}

const challenge = HttpServerResponse.text("credentials required (HTTP basic auth, a user of the users file)\n", {
  status: 401,
  headers: { "www-authenticate": "Basic realm=\"cartero\", charset=\"UTF-8\"", "cache-control": "no-store" }
})

const respond = (request: HttpServerRequest.HttpServerRequest, asset: Assets.Asset, cacheControl: string) =>
  request.headers["if-none-match"] === asset.etag
    ? HttpServerResponse.empty({ status: 304, headers: { etag: asset.etag, "cache-control": cacheControl } })
    : HttpServerResponse.uint8Array(asset.body, {
      contentType: asset.contentType,
      headers: { ...securityHeaders, etag: asset.etag, "cache-control": cacheControl }
    })

const notFound = HttpServerResponse.text("not found\n", { status: 404, headers: securityHeaders })

/** The asset a `/ui/<version>/<path>` URL names, and whether the version is the current one. */
export const lookup = (assets: Assets.Assets, pathname: string) => {
  const match = /^\/ui\/([0-9a-f]{1,64})\/([A-Za-z0-9._\-/]{1,200})$/.exec(pathname)
  const version = match?.[1]
  const path = match?.[2]
  if (version === undefined || path === undefined || path.split("/").some((s) => s === "" || s === "." || s === "..")) {
    return undefined
  }
  const asset = assets.get(path)
  return asset === undefined ? undefined : { asset, current: version === assets.version }
}

/** The routes of the page and its files, behind the same access rule as the API. */
export const layer = (mode: AuthMode): Layer.Layer<never, never, HttpRouter.HttpRouter | Credentials> =>
  Layer.unwrap(Effect.gen(function*() {
    const credentials = yield* Credentials
    const loaded = yield* Effect.result(Assets.load)
    if (loaded._tag === "Failure") {
      yield* Effect.logError("web UI unavailable").pipe(Effect.annotateLogs({ reason: loaded.failure.message }))
    }
    const allowed = (request: HttpServerRequest.HttpServerRequest) => {
      if (mode === "none") return Effect.succeed(true)
      const given = basicCredentials(request.headers["authorization"])
      return given === undefined ? Effect.succeed(false) : credentials.verify(given.user, Redacted.make(given.password))
    }
    const guarded = (
      serve: (request: HttpServerRequest.HttpServerRequest, assets: Assets.Assets) => HttpServerResponse.HttpServerResponse
    ) =>
      Effect.gen(function*() {
        const request = yield* HttpServerRequest.HttpServerRequest
        if (!(yield* allowed(request))) return challenge
        if (loaded._tag === "Failure") {
          return HttpServerResponse.text(`web UI unavailable: ${loaded.failure.message}\n`, { status: 503 })
        }
        return serve(request, loaded.success)
      })
    const page = guarded((request, assets) => respond(request, assets.index, revalidate))
    const files = guarded((request, assets) => {
      const found = lookup(assets, new URL(request.url, "http://x").pathname)
      if (found === undefined) return notFound
      // A page of an older version asks for its files: the current ones, not to be kept.
      return respond(request, found.asset, found.current ? immutable : revalidate)
    })
    return Layer.mergeAll(
      HttpRouter.add("GET", "/", page),
      HttpRouter.add("GET", "/index.html", page),
      HttpRouter.add("GET", "/ui/*", files)
    )
  }))
