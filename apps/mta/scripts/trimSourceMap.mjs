// Keeps only the mappings of the project's own sources in a source map; code from node_modules (effect,
// smtp-server, ioredis …) is left unmapped: one generated-column-only segment where a run of it starts, so a frame
// there shows its position in the bundle rather than a neighbour's source.
//
// Why: `node --enable-source-maps` decodes the whole map into arrays at the first stack trace. The full map of the
// bundle (≈ 400 000 segments, three quarters of them in dependencies) cost ≈ 40 MiB of RSS per process
// (docs/decisions/app-bundle.md); the project's own frames are the ones an operator needs.

const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
const index = new Map([...chars].map((c, i) => [c, i]))

/** Decodes one segment (a comma-free run of base64 VLQ) into its relative fields. */
const decodeSegment = (text) => {
  const fields = []
  let value = 0
  let shift = 0
  for (const c of text) {
    const digit = index.get(c)
    if (digit === undefined) throw new Error(`bad VLQ character ${JSON.stringify(c)}`)
    value += (digit & 31) << shift
    if (digit & 32) {
      shift += 5
    } else {
      fields.push(value & 1 ? -(value >>> 1) : value >>> 1)
      value = 0
      shift = 0
    }
  }
  return fields
}

const encodeValue = (n) => {
  let v = n < 0 ? (-n << 1) | 1 : n << 1
  let out = ""
  do {
    let digit = v & 31
    v >>>= 5
    if (v > 0) digit |= 32
    out += chars[digit]
  } while (v > 0)
  return out
}

/** Returns a copy of `map` (a parsed source map v3) with the mappings into sources matching `drop` removed. */
export const trim = (map, drop) => {
  const dropped = map.sources.map((s) => drop(s))
  // Absolute state of the input (source, line, column, name carry across lines; the column restarts per line).
  let src = 0, srcLine = 0, srcCol = 0, name = 0
  // Last values written, for the output's relative encoding.
  let oSrc = 0, oSrcLine = 0, oSrcCol = 0, oName = 0
  const lines = map.mappings.split(";").map((line) => {
    let genCol = 0
    let oGenCol = 0
    let inDropped = false
    const out = []
    for (const text of line.split(",")) {
      if (text === "") continue
      const f = decodeSegment(text)
      genCol += f[0]
      if (f.length >= 4) {
        src += f[1]
        srcLine += f[2]
        srcCol += f[3]
        if (f.length >= 5) name += f[4]
      }
      const keep = f.length >= 4 && !dropped[src]
      if (!keep) {
        if (inDropped) continue
        inDropped = true
        out.push(encodeValue(genCol - oGenCol))
        oGenCol = genCol
        continue
      }
      inDropped = false
      let seg = encodeValue(genCol - oGenCol) + encodeValue(src - oSrc) + encodeValue(srcLine - oSrcLine) +
        encodeValue(srcCol - oSrcCol)
      oGenCol = genCol
      oSrc = src
      oSrcLine = srcLine
      oSrcCol = srcCol
      if (f.length >= 5) {
        seg += encodeValue(name - oName)
        oName = name
      }
      out.push(seg)
    }
    return out.join(",")
  })
  return { ...map, mappings: lines.join(";") }
}
