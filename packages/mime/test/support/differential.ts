/**
 * Compares Cartero with mailparser on one message and returns the differences that no rule explains.
 */
import * as Parser from "../../src/Parser.ts"
import { oracle, ours, type Summary } from "./oracle.ts"
import { files, isLossyUtf8Of, normalise, rules, type Field } from "./rules.ts"

export interface Difference {
  readonly field: Field
  readonly ours: string
  readonly them: string
}

const fields: ReadonlyArray<Field> = ["subject", "from", "to", "text", "html", "attachments"]

export const compare = async (path: string, bytes: Buffer): Promise<Array<Difference>> => {
  const a: Summary = ours(bytes)
  const b: Summary = await oracle(bytes)
  const root = Parser.parse(bytes, { bodies: "none" })
  const explained = new Set<Field>()
  for (const rule of rules) if (rule.applies(root)) for (const f of rule.fields) explained.add(f)
  for (const f of Object.keys(files[path] ?? {})) explained.add(f as Field)
  const out: Array<Difference> = []
  for (const field of fields) {
    if (explained.has(field)) continue
    const x = normalise(field, a[field])
    const y = normalise(field, b[field])
    const sx = JSON.stringify(x) ?? "undefined"
    const sy = JSON.stringify(y) ?? "undefined"
    if (sx === sy) continue
    if (typeof x === "string" && typeof y === "string" && isLossyUtf8Of(x, y)) continue
    if (Array.isArray(x) && Array.isArray(y) && x.length === y.length && x.every((v, i) => v === y[i] || (typeof v === "string" && typeof y[i] === "string" && isLossyUtf8Of(v, String(y[i]))))) continue
    out.push({ field, ours: sx, them: sy })
  }
  return out
}
