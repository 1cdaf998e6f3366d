/**
 * Typed per-transaction and per-connection notes (the names the architecture uses; see `Notes`).
 *
 * ```ts
 * const SpfResult = TxnNote.make<"pass" | "fail">("spf")
 * yield* SpfResult.set(txn, "pass")                 // in mailFrom
 * const spf = yield* SpfResult.get(txn)             // Option<"pass" | "fail"> in a later phase
 * ```
 *
 * A note set on a transaction lives until the transaction ends (RSET, a new MAIL, end of DATA); a note set on the
 * connection lives until it closes.
 *
 * @since 0.1.0
 */
export { make, type Note } from "./Notes.ts"
