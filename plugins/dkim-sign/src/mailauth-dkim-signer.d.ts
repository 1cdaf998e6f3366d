/**
 * Types for mailauth 4.13.3's DKIM signer class (`lib/dkim/dkim-signer.js`), which its public `dkimSign` wraps and
 * its `index.d.ts` does not describe. Only what `Signer.ts` uses; the version is pinned in the workspace catalog.
 */
declare module "mailauth/lib/dkim/dkim-signer.js" {
  import { Writable } from "node:stream"

  /** One signature to make (the `signatureData` entries of `dkimSign`). */
  export interface SignatureData {
    readonly signingDomain: string
    readonly selector: string
    /** PEM text. */
    readonly privateKey: string
    readonly algorithm: string
    readonly canonicalization: string
  }

  /** One header field as mailauth parsed it: lower-case name, name as written, the raw field with its folding. */
  export interface ParsedField {
    key: string | null
    casedKey: string | undefined
    line: Buffer
  }

  export interface ParsedHeaders {
    parsed: Array<ParsedField>
  }

  export interface SignerOptions {
    readonly canonicalization: string
    /** Colon-separated field names (a string: mailauth's signer ignores an array and falls back to its defaults). */
    readonly headerList: string
    readonly signTime: Date
    readonly expires?: Date
    readonly signatureData: ReadonlyArray<SignatureData>
  }

  /** A signature that could not be made; the others are still made. */
  export interface SignerError {
    readonly selector?: string
    readonly signingDomain?: string
    readonly err: Error
  }

  /** Write the message, end the stream; on `finish`, `signatureHeaders` holds one folded field per signature. */
  export class DkimSigner extends Writable {
    constructor(options: SignerOptions)
    readonly signatureHeaders: Array<string>
    readonly errors: Array<SignerError>
    messageHeaders(headers: ParsedHeaders): Promise<void>
  }
}
