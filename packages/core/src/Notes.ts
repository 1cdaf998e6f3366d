/**
 * Typed notes shared between plugins for the lifetime of a connection or of one transaction.
 *
 * Haraka's `transaction.notes` is an untyped bag where a typo silently reads `undefined`. Here a note is a typed
 * key made once and then read and written through that key only; two keys made with the same name never collide.
 *
 * ```ts
 * const Spf = Notes.make<"pass" | "fail">("spf")
 * yield* Spf.set(txn, "pass")                 // in mailFrom
 * const spf = yield* Spf.get(txn)             // Option<"pass" | "fail"> in a later phase
 * ```
 *
 * A note set on a transaction lives until the transaction ends (RSET, a new MAIL, end of DATA); a note set on the
 * connection lives until it closes.
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"

/** The storage behind notes. Each connection and each transaction owns one; plugins never touch it directly. */
export interface NoteStore {
  readonly _notes: Map<symbol, unknown>
}

/** Anything that carries notes (a `Connection` or a `Transaction`). */
export interface HasNotes {
  readonly notes: NoteStore
}

/** Creates an empty note store (for whoever builds connections and transactions: the server, tests). */
export const makeStore = (): NoteStore => ({ _notes: new Map() })

/** A typed note key. */
export interface Note<A> {
  readonly name: string
  /** Reads the note; `None` when it was never set on this holder. */
  readonly get: (holder: HasNotes) => Effect.Effect<Option.Option<A>>
  /** Sets (replaces) the note. */
  readonly set: (holder: HasNotes, value: A) => Effect.Effect<void>
  /** Sets the note to `f(current)`. */
  readonly update: (holder: HasNotes, f: (current: Option.Option<A>) => A) => Effect.Effect<A>
  /** Synchronous read, for code outside Effect (the server adapter). */
  readonly unsafeGet: (holder: HasNotes) => Option.Option<A>
}

/** Makes a typed note key. `name` is for logs and debugging; identity comes from the key itself. */
export const make = <A>(name: string): Note<A> => {
  const key = Symbol(name)
  const unsafeGet = (holder: HasNotes): Option.Option<A> =>
    holder.notes._notes.has(key) ? Option.some(holder.notes._notes.get(key) as A) : Option.none()
  return {
    name,
    unsafeGet,
    get: (holder) => Effect.sync(() => unsafeGet(holder)),
    set: (holder, value) => Effect.sync(() => void holder.notes._notes.set(key, value)),
    update: (holder, f) =>
      Effect.sync(() => {
        const value = f(unsafeGet(holder))
        holder.notes._notes.set(key, value)
        return value
      })
  }
}
