/**
 * Types for the one mailauth 4.13.3 module used below its public API: the DKIM verifier class that `dkimVerify`
 * wraps (`lib/dkim/dkim-verifier.js`). Only what `Verifier.ts` touches is declared; the version is pinned exactly
 * in the workspace catalog, and the tests exercise every member used here.
 */
declare module "mailauth/lib/dkim/dkim-verifier.js" {
  import type { Writable } from "node:stream"
  import type { ARCSigningData, DKIMResult, DNSResolver } from "mailauth"

  /** One header field as mailauth's parser keeps it: lower-case name, the raw line(s). */
  export interface ParsedField {
    readonly key: string
    readonly casedKey?: string
    readonly line: Buffer | string
  }

  /** The header block as mailauth's parser returns it. */
  export interface ParsedHeaders {
    readonly parsed: Array<ParsedField>
    readonly [other: string]: unknown
  }

  export interface VerifierOptions {
    readonly resolver?: DNSResolver
    readonly sender?: string
    readonly minBitLength?: number
    readonly curTime?: Date
    /** When present, the relaxed/sha256 body hash an ARC sealer needs is computed too (into `bodyHash`). */
    readonly seal?: { bodyHash?: string }
  }

  /** A writable stream: write the message into it; the results are there once it emitted `finish`. */
  export class DkimVerifier extends Writable {
    constructor(options: VerifierOptions)
    headers: ParsedHeaders | false
    headerFrom: Array<string>
    envelopeFrom: string | false
    results: Array<DKIMResult>
    arc: ARCSigningData
    seal: { bodyHash?: string } | undefined
    /** Called once with the parsed header block, before any body chunk. */
    messageHeaders(headers: ParsedHeaders): Promise<void>
  }
}
