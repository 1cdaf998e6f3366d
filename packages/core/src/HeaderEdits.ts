/**
 * Removing header fields: what hooks ask for, and the server carries out.
 *
 * Verdicts can only add header fields (they go into `Message.prepend`). Some plugins must take fields away: a
 * DMARC plugin removes incoming `Authentication-Results:` fields that carry our own authserv-id (forged, RFC 8601
 * §5), a submission plugin removes `Bcc:` (RFC 5322 §3.6.3). A hook asks with {@link remove}; the request is kept
 * on the transaction, and the server applies every request at one point:
 *
 * - after the `message` phase (every `message` hook sees the message as received, whoever asked for what), and
 *   before the headers of the `message` verdict are prepended, so a hook can remove forged
 *   `Authentication-Results:` fields and add its own in one verdict;
 * - before the `queue` phase: stores get the message without the removed fields, and its `headers` view no
 *   longer shows them.
 *
 * Requests made in any phase up to `message` count; requests made in `queue` come too late and are ignored. The
 * message's octets are never decoded to do it (fields may hold 8-bit octets), and nothing is copied when no field
 * matches; a message spilled to disk keeps its file and is given a new header block in front of it
 * (`Message.Spilled.head`).
 *
 * ```ts
 * message: (txn, message) => Effect.gen(function*() {
 *   yield* HeaderEdits.remove(txn, { name: "Authentication-Results", matches: (v) => authservId(v) === ours })
 *   return Verdict.continueWith([Header.make("Authentication-Results", `${ours}; dmarc=pass …`)])
 * })
 * ```
 *
 * @since 0.1.0
 */
import { Header } from "@cartero/smtp"
import { Effect, Option } from "effect"
import * as Notes from "./Notes.ts"
import type { Transaction } from "./Session.ts"

/**
 * Which fields a removal looks at:
 * - `received`: the header block of the message as the client sent it (`Message.data`);
 * - `added`: the fields in `Message.prepend`, i.e. the server's `Received:` field and the headers that verdicts
 *   of earlier phases (`data`) added — not those of the `message` verdicts, which are prepended afterwards;
 * - `both`.
 */
export type Where = "received" | "added" | "both"

/** One request: the fields called `name` (case-insensitive), those whose value `matches` when given. */
export interface Removal {
  /** The field name, e.g. `Authentication-Results`. */
  readonly name: string
  /**
   * Called with each field's value as `Message.headers` gives it (unfolded, trimmed, RFC 2047 encoded words
   * decoded); the field is removed when it answers true. Absent: every field of that name is removed.
   */
  readonly matches?: ((value: string) => boolean) | undefined
  /** Where to look; default `received`. */
  readonly where?: Where | undefined
}

/** The requests of a transaction, in the order they were made. */
const Requests = Notes.make<ReadonlyArray<Removal>>("header-edits.removals")

/**
 * Asks the server to remove the fields `removal` describes from the message of `transaction`. Dies on a name that
 * is not an RFC 5322 field name (a programming error of the calling plugin, as for `Header.make`).
 */
export const remove = (transaction: Transaction, removal: Removal): Effect.Effect<void> =>
  Header.isFieldName(removal.name)
    ? Effect.asVoid(Requests.update(transaction, (current) => [...Option.getOrElse(current, () => []), removal]))
    : Effect.die(new Header.InvalidHeader({ name: removal.name, reason: "not a field name: 1-76 printable ASCII characters without ':'" }))

/** The removals asked for on `transaction` so far, in order (for the server, and for tests of plugins). */
export const requested = (transaction: Transaction): Effect.Effect<ReadonlyArray<Removal>> =>
  Effect.map(Requests.get(transaction), Option.getOrElse(() => []))

/** Whether `removal` looks at the fields of `part` of the message. */
export const appliesTo = (removal: Removal, part: "received" | "added"): boolean => {
  const where = removal.where ?? "received"
  return where === "both" || where === part
}
