/**
 * The mutable tree node behind {@link Part.Part} and the raw body sink, used while parsing.
 *
 * @internal
 */
import { stripComments } from "./comments.ts"
import { Output } from "./output.ts"
import * as ContentType from "../ContentType.ts"
import type * as Defect from "../Defect.ts"
import * as Headers from "../Headers.ts"
import type * as Part from "../Part.ts"

export interface Sink {
  write(buf: Uint8Array, start: number, end: number): void
  end(): Uint8Array
}

/** Every node's headers until its block is read (a block that is never finished keeps it). */
const noHeaders = new Headers.Headers([])

export class Raw implements Sink {
  private readonly output: Output
  /** With `onData`, chunks are handed over as they come and not kept (`end` then returns nothing). */
  constructor(onData?: (chunk: Uint8Array) => void) {
    this.output = new Output(onData)
  }
  write(buf: Uint8Array, start: number, end: number): void {
    if (end <= start) return
    // A view, not a copy: for a whole in-memory message a 7bit/8bit/binary body costs nothing.
    this.output.put(buf.subarray(start, end))
  }
  end(): Uint8Array {
    return this.output.collected()
  }
}

/** The effective Content-Type `headers` declare: the RFC 2045 default when absent or unusable. */
export const contentTypeOf = (headers: Headers.Headers, parentSubtype: string | undefined): ContentType.ContentType => {
  const field = headers.get("content-type")
  return (field === undefined ? undefined : ContentType.parse(field.value)) ?? ContentType.defaultFor(parentSubtype)
}

/** The Content-Disposition `headers` declare, if any. */
export const dispositionOf = (headers: Headers.Headers): ContentType.Disposition | undefined => {
  const field = headers.get("content-disposition")
  return field === undefined ? undefined : ContentType.parseDisposition(field.value)
}

/** The lowercase Content-Transfer-Encoding `headers` declare, comments removed; `7bit` when absent or empty. */
export const transferEncodingOf = (headers: Headers.Headers): string => {
  const field = headers.get("content-transfer-encoding")
  const cte = field === undefined ? undefined : stripComments(field.value, "").trim().toLowerCase()
  return cte === undefined || cte === "" ? "7bit" : cte
}

export class Node implements Part.Part {
  headers: Headers.Headers = noHeaders
  bodyOffset = 0
  bodyLength = 0
  body: Uint8Array | undefined = undefined
  readonly parts: Array<Node> = []
  message: Node | undefined = undefined
  readonly defects: Array<Defect.Defect> = []
  private ct: ContentType.ContentType | undefined = undefined
  private cd: ContentType.Disposition | undefined = undefined
  private cte = "7bit"
  /**
   * Structure only: the fields whose Content-* values nothing in the parse depended on (beyond what is already
   * known: the Content-Type, when given to {@link defer}), so parsing them (most of the cost of a small part) waits
   * until the values are first read.
   */
  private pending: Headers.Headers | undefined = undefined
  constructor(readonly depth: number, readonly offset: number, readonly parentSubtype: string | undefined) {}

  /** Defers the Content-* values to first access (see `pending`), but for `contentType` when already known. */
  defer(fields: Headers.Headers, contentType?: ContentType.ContentType): void {
    this.pending = fields
    this.ct = contentType
  }

  private resolve(): void {
    const fields = this.pending
    if (fields === undefined) return
    this.pending = undefined
    this.ct ??= contentTypeOf(fields, this.parentSubtype)
    this.cd = dispositionOf(fields)
    this.cte = transferEncodingOf(fields)
  }

  get contentType(): ContentType.ContentType {
    // A container's type is known at once: reading it must not parse the whole header block.
    if (this.ct === undefined) this.resolve()
    return (this.ct ??= ContentType.defaultFor())
  }
  set contentType(value: ContentType.ContentType) {
    this.resolve()
    this.ct = value
  }
  get disposition(): ContentType.Disposition | undefined {
    this.resolve()
    return this.cd
  }
  set disposition(value: ContentType.Disposition | undefined) {
    this.resolve()
    this.cd = value
  }
  get transferEncoding(): string {
    this.resolve()
    return this.cte
  }
  set transferEncoding(value: string) {
    this.resolve()
    this.cte = value
  }

  /** The accessors above are not own properties: serialise the part as a plain record of what it holds. */
  toJSON(): Record<string, unknown> {
    return {
      headers: this.headers,
      contentType: this.contentType,
      disposition: this.disposition,
      transferEncoding: this.transferEncoding,
      bodyOffset: this.bodyOffset,
      bodyLength: this.bodyLength,
      body: this.body,
      parts: this.parts,
      message: this.message,
      defects: this.defects,
      depth: this.depth,
      offset: this.offset,
      parentSubtype: this.parentSubtype
    }
  }
}

export interface Frame {
  readonly node: Node
  readonly boundary: Buffer
  /** The multipart's subtype, for its children's default type (known before its Content-Type is built). */
  readonly subtype: string
  sawDelimiter: boolean
}

