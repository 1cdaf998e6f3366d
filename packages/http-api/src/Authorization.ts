/**
 * The authorization middleware of every endpoint but `/healthz`: HTTP basic auth (RFC 7617) checked against
 * {@link Credentials}. Its implementation is in `AuthorizationLive.ts`, so that the API definition stays free of
 * server code.
 *
 * @since 0.1.0
 */
import { HttpApiMiddleware, HttpApiSecurity } from "effect/http-api"
import { Unauthorized } from "./ApiError.ts"

/** HTTP basic auth, or nothing at all when the server is on loopback (see `HttpConfig.AuthMode`). */
export class Authorization extends HttpApiMiddleware.Service<Authorization>()("@cartero/http-api/Authorization", {
  security: { basic: HttpApiSecurity.basic },
  error: Unauthorized
}) {}
