/**
 * `Parser.parseStructure` of a message held whole in memory. A message that is a single leaf with a plain header
 * block (the common small message) is read here in one pass, without setting up the push machine; anything else,
 * or anything unusual, is handed to the machine, so the result is always what the machine gives.
 *
 * @internal
 */
import * as Headers from "../Headers.ts"
import type * as Part from "../Part.ts"
import { scan, scratch } from "./blockScan.ts"
import { Machine } from "./machine.ts"
import { Node } from "./node.ts"
import { plainType } from "./typeBytes.ts"

const structureOnly = { bodies: "none" } as const

export const parseWhole = (buf: Buffer): Part.Part => {
  const len = buf.length
  // Not CR-only input (which the machine rewrites): the first line break is an LF, with no CR before it but the one
  // of a CRLF. Searched back from the first LF, so that LF-only input is not searched to its end for a CR.
  const nl = buf.indexOf(10)
  if (nl >= 0 && (nl < 2 || buf.lastIndexOf(13, nl - 2) < 0) && scan(buf, 0, true, false, scratch)) {
    const found = scratch
    const end = found.end
    // What the machine does with such a block (see its `lazyBlock`): a leaf when the Content-Type is absent or
    // surely a leaf type, and no NUL in the block; then the body runs to the end of the input.
    const leaf = !found.unsure && (found.ctStart < 0 || plainType(buf, found.ctColon + 1, found.ctLineEnd, found.ctEnd) === "leaf")
    // No NUL in the block: searched back from its end, so the body is not searched.
    if (leaf && buf.lastIndexOf(0, end - 1) < 0) {
      const node = new Node(0, 0, undefined)
      node.headers = Headers.Headers.lazy(buf, 0, end)
      node.defer(node.headers)
      node.bodyOffset = end
      node.bodyLength = len - end
      return node
    }
  }
  // The whole message is the caller's: header blocks read lazily may stay views of it.
  const machine = new Machine(structureOnly, true)
  machine.write(buf)
  return machine.end()
}
