/**
 * The BDAT command line (RFC 3030 §2): `BDAT <chunk-size> [LAST]`.
 *
 * ```
 * bdat-cmd   ::= "BDAT" SP chunk-size [ SP end-marker ] CR LF
 * chunk-size ::= 1*DIGIT
 * end-marker ::= "LAST"
 * ```
 *
 * Leading zeros are digits like any other (`BDAT 007` is a chunk of 7 octets). A size too large to count exactly
 * (above `Number.MAX_SAFE_INTEGER`, 9 PB) is read as that maximum: no client can send that much before the data
 * timeout, and the running total is over any message size limit either way. Anything else (a sign, a fraction,
 * hex, a missing size, a second argument other than `LAST`, more arguments) is a syntax error: the chunk cannot be
 * located, so the caller answers `501 5.5.4` and reads what follows as commands.
 *
 * @since 0.2.0
 */

/** A well-formed BDAT command. */
export interface Bdat {
  /** Octets of the chunk that follow the command line. */
  readonly size: number
  /** The chunk ends the message. */
  readonly last: boolean
}

const syntax = /^BDAT +([0-9]+)(?: +(LAST))? *$/i

/** Parses a BDAT command line (without its line ending); `undefined` when it is malformed. */
export const parse = (line: string): Bdat | undefined => {
  const match = syntax.exec(line)
  const digits = match?.[1]
  if (match === null || digits === undefined) return undefined
  const size = Number(digits)
  return { size: Number.isSafeInteger(size) ? size : Number.MAX_SAFE_INTEGER, last: match[2] !== undefined }
}
