/**
 * Where a body decoder's output goes (base64, quoted-printable, or the raw bytes of 7bit/8bit/binary): handed over
 * chunk by chunk to `onData` and not kept, or kept and joined once at the end.
 */
export class Output {
  private readonly chunks: Array<Uint8Array> = []
  /** Bytes put so far (handed over or kept). */
  size = 0
  constructor(private readonly onData?: (chunk: Uint8Array) => void) {}

  put(chunk: Uint8Array): void {
    this.size += chunk.length
    if (this.onData !== undefined) this.onData(chunk)
    else this.chunks.push(chunk)
  }

  /** The kept bytes as one buffer; empty when they were handed over to `onData`. */
  collected(): Uint8Array {
    return this.onData === undefined ? concat(this.chunks, this.size) : new Uint8Array(0)
  }
}

/**
 * What an empty body is: one value for all of them, as a new empty array costs a buffer of its own (some 200 bytes)
 * for every part of a message made of empty parts. It has no bytes to change.
 */
const none = new Uint8Array(0)

/** Concatenates chunks without copying when there is only one. */
export const concat = (chunks: ReadonlyArray<Uint8Array>, size: number): Uint8Array => {
  if (chunks.length === 1) return chunks[0] ?? none
  if (size === 0) return none
  const out = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.length
  }
  return out
}
