/**
 * The mutable tree node behind {@link Part.Part} and the raw body sink, used while parsing.
 *
 * @internal
 */
import * as Base64 from "../Base64.ts"
import * as ContentType from "../ContentType.ts"
import type * as Defect from "../Defect.ts"
import * as Headers from "../Headers.ts"
import type * as Part from "../Part.ts"

export interface Sink {
  write(buf: Uint8Array, start: number, end: number): void
  end(): Uint8Array
}

export class Raw implements Sink {
  private readonly chunks: Array<Uint8Array> = []
  /** With `onData`, decoded chunks are handed over as they come and not kept (`end` then returns nothing). */
  constructor(private readonly onData?: (chunk: Uint8Array) => void) {}

  private put(chunk: Uint8Array): void {
    this.size += chunk.length
    if (this.onData !== undefined) this.onData(chunk)
    else this.chunks.push(chunk)
  }
  private size = 0
  write(buf: Uint8Array, start: number, end: number): void {
    if (end <= start) return
    // A view, not a copy: for a whole in-memory message a 7bit/8bit/binary body costs nothing.
    this.put(buf.subarray(start, end))
  }
  end(): Uint8Array {
    return this.onData === undefined ? Base64.concat(this.chunks, this.size) : new Uint8Array(0)
  }
}

export class Node implements Part.Part {
  headers: Headers.Headers = new Headers.Headers([])
  contentType: ContentType.ContentType = ContentType.defaultFor()
  disposition: ContentType.Disposition | undefined = undefined
  transferEncoding = "7bit"
  bodyOffset = 0
  bodyLength = 0
  body: Uint8Array | undefined = undefined
  readonly parts: Array<Node> = []
  message: Node | undefined = undefined
  readonly defects: Array<Defect.Defect> = []
  constructor(readonly depth: number, readonly offset: number, readonly parentSubtype: string | undefined) {}
}

export interface Frame {
  readonly node: Node
  readonly boundary: Buffer
  sawDelimiter: boolean
}

