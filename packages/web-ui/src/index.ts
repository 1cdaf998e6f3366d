/**
 * `@cartero/web-ui`: the operator's web UI (mailboxes like Mailpit, the queue dashboard) as static ES modules on
 * Preact and htm, and {@link Assets}, which reads them for a server to serve (`@cartero/http-api` does, at `/`).
 *
 * @since 0.1.0
 */
export * as Assets from "./Assets.ts"
