/** Checks that bytes are valid message wire format: CRLF only, lines of at most 998 octets, optionally 7-bit. */
export const wireProblems = (bytes: Uint8Array, sevenBit: boolean): Array<string> => {
  const problems: Array<string> = []
  let line = 0
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i] ?? 0
    if (c === 13) {
      if (bytes[i + 1] !== 10) problems.push(`bare CR at ${i}`)
      continue
    }
    if (c === 10) {
      if (bytes[i - 1] !== 13) problems.push(`bare LF at ${i}`)
      line = 0
      continue
    }
    if (++line > 998) problems.push(`line over 998 octets at ${i}`)
    if (sevenBit && c > 0x7f) problems.push(`8-bit byte at ${i}`)
    if (c === 0) problems.push(`NUL at ${i}`)
  }
  if (bytes.length > 0 && bytes[bytes.length - 1] !== 10) problems.push("does not end with CRLF")
  return [...new Set(problems)].slice(0, 5)
}
