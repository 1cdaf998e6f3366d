/**
 * The JSON form of an `Envelope`, as queues store it: exactly what `Schema.fromJsonString(Envelope.Envelope)`
 * produces and accepts, without walking the Schema for every message.
 *
 * Every accepted message is encoded once and decoded at least once per delivery attempt; through the Schema that
 * cost ≈ 3.5 µs per encode, against ≈ 1 µs here (docs/benchmarks.md, "Round 4"). The output is the Schema's byte
 * for byte: the same fields in the same order, unknown fields dropped, every string a JSON string value (so an
 * address can never add structure to a record). Decoding checks the same shape the Schema checks; anything else is
 * handed to the Schema, whose error is the one thrown. `test/EnvelopeJson.test.ts` pins the equivalence on
 * generated envelopes and on corrupted records.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import * as Envelope from "./Envelope.ts"

const viaSchema = Schema.fromJsonString(Envelope.Envelope)
const encodeViaSchema = Schema.encodeSync(viaSchema)
const decodeViaSchema = Schema.decodeUnknownSync(viaSchema)

type Address = typeof Envelope.AddressSchema.Type
type Mutable<T> = { -readonly [K in keyof T]: T[K] }

const address = (a: Address): Address => ({ localPart: a.localPart, domain: a.domain })

// Each copy is built in the Schema's field order: JSON key order is part of the stored bytes.
const params = (p: Envelope.MailParams): Envelope.MailParams => {
  const out = {} as Mutable<Envelope.MailParams>
  if (p.size !== undefined) out.size = p.size
  if (p.body !== undefined) out.body = p.body
  out.smtpUtf8 = p.smtpUtf8
  if (p.ret !== undefined) out.ret = p.ret
  if (p.envid !== undefined) out.envid = p.envid
  if (p.requireTls !== undefined) out.requireTls = p.requireTls
  return out
}

const recipient = (r: Envelope.Recipient): Envelope.Recipient => {
  const out: Mutable<Envelope.Recipient> = { address: address(r.address) }
  if (r.notify !== undefined) out.notify = [...r.notify]
  if (r.orcpt !== undefined) out.orcpt = r.orcpt
  return out
}

/** A copy holding the Schema's fields only, in its order. */
const canonical = (e: Envelope.Envelope): Envelope.Envelope => ({
  mailFrom: e.mailFrom === null ? null : address(e.mailFrom),
  params: params(e.params),
  recipients: e.recipients.map(recipient)
})

// ---------------------------------------------------------------------------------------------------------------
// The Schema's checks, by hand
// ---------------------------------------------------------------------------------------------------------------

type Json = { readonly [key: string]: unknown }

const isObject = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)
const isString = (u: unknown): u is string => typeof u === "string"
const optional = (o: Json, key: string, check: (u: unknown) => boolean): boolean =>
  !(key in o) || o[key] === undefined || check(o[key])
const oneOf = (values: ReadonlyArray<string>) => (u: unknown): boolean => typeof u === "string" && values.includes(u)

const isBodyType = oneOf(Envelope.BodyType.literals)
const isNotify = oneOf(Envelope.Notify.literals)
const isRet = oneOf(Envelope.Ret.literals)

const isAddress = (u: unknown): u is Address => isObject(u) && isString(u["localPart"]) && isString(u["domain"])

const isParams = (u: unknown): u is Envelope.MailParams =>
  isObject(u) && typeof u["smtpUtf8"] === "boolean" &&
  optional(u, "size", (v) => typeof v === "number") &&
  optional(u, "body", isBodyType) &&
  optional(u, "ret", isRet) &&
  optional(u, "envid", isString) &&
  optional(u, "requireTls", (v) => typeof v === "boolean")

const isRecipient = (u: unknown): u is Envelope.Recipient =>
  isObject(u) && isAddress(u["address"]) &&
  optional(u, "notify", (v) => Array.isArray(v) && v.every(isNotify)) &&
  optional(u, "orcpt", isString)

const isEnvelope = (u: unknown): u is Envelope.Envelope =>
  isObject(u) && (u["mailFrom"] === null || isAddress(u["mailFrom"])) && isParams(u["params"]) &&
  Array.isArray(u["recipients"]) && u["recipients"].every(isRecipient)

/** Serialises an envelope (the Schema's JSON, byte for byte; a value that is not an envelope gets its error). */
export const encode = (envelope: Envelope.Envelope): string =>
  isEnvelope(envelope) ? JSON.stringify(canonical(envelope)) : encodeViaSchema(envelope)

/** Parses a stored envelope; throws the Schema's error when the text is not one. */
export const decode = (json: string): Envelope.Envelope => {
  let parsed: unknown
  try {
    parsed = JSON.parse(json)
  } catch {
    return decodeViaSchema(json)
  }
  return isEnvelope(parsed) ? canonical(parsed) : decodeViaSchema(json)
}
