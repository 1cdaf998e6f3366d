/**
 * The ESMTP extensions a server advertised in its EHLO reply (RFC 5321 §4.1.1.1). The client only uses an
 * extension, or sends one of its parameters, when it is listed here.
 *
 * @since 0.1.0
 */

/** What the server supports. A server that only answered HELO supports nothing ({@link none}). */
export interface Capabilities {
  /** `true` when the session was opened with EHLO (false after the HELO fallback). */
  readonly esmtp: boolean
  /** RFC 2920. */
  readonly pipelining: boolean
  /** RFC 6152. */
  readonly eightBitMime: boolean
  /** RFC 6531. */
  readonly smtpUtf8: boolean
  /** RFC 3461. */
  readonly dsn: boolean
  /** RFC 3207. */
  readonly startTls: boolean
  /** RFC 2034. */
  readonly enhancedStatusCodes: boolean
  /** RFC 3030: the message may go by BDAT (`Transaction`, unless chunking is `off`). */
  readonly chunking: boolean
  /**
   * RFC 4954: the SASL mechanisms offered, upper case (empty when AUTH is not advertised). Both `AUTH PLAIN LOGIN`
   * and the pre-standard `AUTH=PLAIN LOGIN` some servers still send are read.
   */
  readonly auth: ReadonlyArray<string>
  /** RFC 1870: `undefined` when SIZE is not advertised, `0` when advertised without a limit, else the limit. */
  readonly size: number | undefined
  /** Every keyword, upper-cased, with its parameters as given. */
  readonly keywords: ReadonlyMap<string, string>
}

/** The capabilities of a HELO-only session. */
export const none: Capabilities = {
  esmtp: false,
  pipelining: false,
  eightBitMime: false,
  smtpUtf8: false,
  dsn: false,
  startTls: false,
  enhancedStatusCodes: false,
  chunking: false,
  auth: [],
  size: undefined,
  keywords: new Map()
}

/**
 * Parses the raw lines of a 250 EHLO reply (`250-name greets`, `250-PIPELINING`, `250 SIZE 1000`). The first line is
 * the greeting, not a keyword. Unknown keywords are kept in `keywords`.
 */
export const fromEhlo = (lines: ReadonlyArray<string>): Capabilities => {
  const keywords = new Map<string, string>()
  for (const line of lines.slice(1)) {
    const text = line.slice(4).trim()
    if (text === "") continue
    const space = text.indexOf(" ")
    const keyword = (space < 0 ? text : text.slice(0, space)).toUpperCase()
    keywords.set(keyword, space < 0 ? "" : text.slice(space + 1).trim())
  }
  const sizeParam = keywords.get("SIZE")
  const sizeValue = sizeParam === undefined ? undefined : /^\d+$/.test(sizeParam) ? Number(sizeParam) : 0
  const mechanisms = (text: string) => text.split(/\s+/).filter((m) => m !== "").map((m) => m.toUpperCase())
  const auth = new Set<string>(mechanisms(keywords.get("AUTH") ?? ""))
  for (const [keyword, params] of keywords) {
    if (keyword.startsWith("AUTH=")) for (const m of mechanisms(`${keyword.slice(5)} ${params}`)) auth.add(m)
  }
  return {
    esmtp: true,
    pipelining: keywords.has("PIPELINING"),
    eightBitMime: keywords.has("8BITMIME"),
    smtpUtf8: keywords.has("SMTPUTF8"),
    dsn: keywords.has("DSN"),
    startTls: keywords.has("STARTTLS"),
    enhancedStatusCodes: keywords.has("ENHANCEDSTATUSCODES"),
    chunking: keywords.has("CHUNKING"),
    auth: [...auth],
    size: sizeValue,
    keywords
  }
}
