/**
 * Which sessions are submission: mail a user agent hands in for the first time (RFC 6409), as opposed to mail
 * relayed to us by another MTA. Only submitted mail may be completed or edited by the server (RFC 6409 §8); mail
 * that arrives at an MX is passed on as it came.
 *
 * A session is submission when any of these holds:
 * - the client authenticated (`AUTH`);
 * - it came in on a listener marked trusted (a socket only local clients reach);
 * - it came in on one of the submission listeners (default `submission` and `smtps`);
 * - its address is in one of the trusted networks (default none): applications on the local network that submit
 *   without AUTH.
 *
 * @since 0.1.0
 */
import type { Session } from "@cartero/core"
import { Cidr } from "@cartero/plugin-local-domains"

/** What makes a session submission, validated. */
export interface Clients {
  /** Listener kinds whose every session is submission. */
  readonly listeners: ReadonlyArray<Session.ListenerKind>
  /** Client networks whose sessions are submission without AUTH. */
  readonly trustedNetworks: ReadonlyArray<Cidr.Cidr>
}

/** The listeners that carry submission by default. */
export const defaultListeners: ReadonlyArray<Session.ListenerKind> = ["submission", "smtps"]

/** Whether the session on `connection` is submission under `clients`. */
export const isSubmission = (clients: Clients, connection: Session.Connection): boolean =>
  connection.user !== undefined ||
  connection.trusted ||
  clients.listeners.includes(connection.listener) ||
  (clients.trustedNetworks.length > 0 && Cidr.containsAny(clients.trustedNetworks, connection.remoteAddress))
