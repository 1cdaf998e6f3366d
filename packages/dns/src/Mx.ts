/**
 * MX records as delivery needs them: sorted by preference (RFC 5321 §5.1), with the RFC 7505 null MX recognisable.
 *
 * @since 0.1.0
 */

/** One mail exchanger. `exchange` is normalised (lower case, no trailing dot); the root is `"."`. */
export interface Mx {
  readonly exchange: string
  readonly preference: number
  /** Seconds, as received. */
  readonly ttl: number
}

/**
 * Sorts by preference, lowest first. Equal preferences are ordered by name so results are deterministic; RFC 5321
 * asks senders to randomise among equals, which is the delivery side's choice (it knows about connection reuse).
 */
export const sort = (records: ReadonlyArray<Mx>): Array<Mx> =>
  [...records].sort((a, b) => a.preference - b.preference || (a.exchange < b.exchange ? -1 : a.exchange > b.exchange ? 1 : 0))

/**
 * Whether the domain publishes a null MX (RFC 7505: `MX 0 .`), i.e. it accepts no mail at all: a sender must not
 * try to deliver and should bounce at once (`556 5.1.10` in RFC 7505 §4.2 terms). One null record is enough, as a
 * domain publishing it must not publish others.
 */
export const isNullMx = (records: ReadonlyArray<Mx>): boolean => records.some((r) => r.exchange === ".")
