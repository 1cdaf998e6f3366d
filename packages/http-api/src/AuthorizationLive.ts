/**
 * The {@link Authorization} middleware's implementations: {@link layerOpen} lets every request through (loopback),
 * {@link layerBasic} checks HTTP basic credentials with {@link Credentials} and answers `401` with
 * `WWW-Authenticate: Basic realm="cartero"` otherwise.
 *
 * @since 0.1.0
 */
import { Effect, Layer } from "effect"
import { HttpEffect, HttpServerResponse } from "effect/http"
import { Unauthorized } from "./ApiError.ts"
import { Authorization } from "./Authorization.ts"
import { Credentials } from "./Credentials.ts"
import type { AuthMode } from "./HttpConfig.ts"

const challenge = HttpEffect.appendPreResponseHandler((_request, response) =>
  Effect.succeed(HttpServerResponse.setHeader(response, "www-authenticate", "Basic realm=\"cartero\", charset=\"UTF-8\""))
)

/** No credentials asked. */
export const layerOpen: Layer.Layer<Authorization> = Layer.succeed(Authorization, Authorization.of({ basic: (next) => next }))

/** HTTP basic auth against the {@link Credentials}. */
export const layerBasic: Layer.Layer<Authorization, never, Credentials> = Layer.effect(
  Authorization,
  Effect.gen(function*() {
    const credentials = yield* Credentials
    return Authorization.of({
      basic: Effect.fnUntraced(function*(next, { credential }) {
        const ok = credential.username !== "" && (yield* credentials.verify(credential.username, credential.password))
        if (!ok) {
          yield* challenge
          yield* Effect.logInfo("HTTP API: credentials refused").pipe(Effect.annotateLogs({ user: credential.username }))
          return yield* new Unauthorized({ message: "credentials required (HTTP basic auth, a user of the users file)" })
        }
        return yield* next
      })
    })
  })
)

/** The middleware for a mode. */
export const layer = (mode: AuthMode): Layer.Layer<Authorization, never, Credentials> =>
  mode === "basic" ? layerBasic : layerOpen
