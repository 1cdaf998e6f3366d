/**
 * The properties every parser of network input in this package keeps, over the {@link Arbitraries}: they never
 * throw, and what they accept is well-formed and survives the trip it takes (reply → store → reply, address →
 * command line → address, envelope → JSON → envelope). The test suite runs each with a few hundred cases; the fuzz
 * script (`pnpm --filter @cartero/smtp fuzz`) runs them for as long as it is given.
 *
 * A failing check throws an `Error` naming what broke; fast-check reports it with the shrunk counterexample and the
 * seed that replays it.
 *
 * @since 0.1.0
 */
import { Result, Schema } from "effect"
import fc from "fast-check"
import { isDeepStrictEqual } from "node:util"
import * as Address from "../Address.ts"
import * as EnhancedCode from "../EnhancedCode.ts"
import * as EnvelopeJson from "../EnvelopeJson.ts"
import * as SmtpReply from "../SmtpReply.ts"
import * as Arbitraries from "./Arbitraries.ts"

/** How long and how hard to check. */
export interface Params {
  readonly numRuns: number
  readonly seed?: number | undefined
  /** Stop generating after this many milliseconds (not a failure). */
  readonly interruptAfterTimeLimit?: number | undefined
}

/** How a check went. */
export interface Outcome {
  readonly failed: boolean
  /** Stopped by the time limit before `numRuns` (not a failure). */
  readonly interrupted: boolean
  /** Cases run. */
  readonly numRuns: number
  /** The seed that replays this run (`--seed`). */
  readonly seed: number
  /** fast-check's report when it failed: the shrunk counterexample, the error, how to replay it. */
  readonly report: string | undefined
}

/** One property with its name (the fuzz script's `--only`) and what it checks. */
export interface NamedProperty {
  readonly name: string
  readonly description: string
  readonly check: (params: Params) => Outcome
}

const named = <Ts>(name: string, description: string, property: fc.IProperty<Ts>): NamedProperty => ({
  name,
  description,
  check: (params) => {
    const details = fc.check(property, {
      numRuns: params.numRuns,
      ...(params.seed !== undefined ? { seed: params.seed } : {}),
      ...(params.interruptAfterTimeLimit !== undefined ? { interruptAfterTimeLimit: params.interruptAfterTimeLimit, markInterruptAsFailure: false } : {})
    })
    return {
      failed: details.failed,
      interrupted: details.interrupted,
      numRuns: details.numRuns,
      seed: details.seed,
      report: details.failed ? fc.defaultReportMessage(details) : undefined
    }
  }
})

const expect = (ok: boolean, what: string): void => {
  if (!ok) throw new Error(what)
}

const expectEqual = (actual: unknown, expected: unknown, what: string): void =>
  expect(isDeepStrictEqual(actual, expected), `${what}: got ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`)

const unsafe = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/

/** What every reply `SmtpReply` hands out satisfies. */
const wellFormed = (r: SmtpReply.SmtpReply): void => {
  expect(Number.isInteger(r.code) && r.code >= 0 && r.code <= 999, `code ${r.code} is not 000-999`)
  expect(r.lines.length >= 1, "a reply without lines")
  for (const line of r.lines) {
    expect(!unsafe.test(line), `a control character in ${JSON.stringify(line)}`)
    expect(line.length <= SmtpReply.maxLineText, `a line of ${line.length} characters`)
  }
  const cls = SmtpReply.classOf(r)
  if (r.enhanced !== undefined) {
    expect(EnhancedCode.isEnhancedCode(r.enhanced), `enhanced code ${r.enhanced} is malformed`)
    expect(cls !== undefined && EnhancedCode.classOf(r.enhanced) === cls, `enhanced code ${r.enhanced} on a ${r.code}`)
  }
}

/**
 * `SmtpReply.parse` never throws on anything a next hop can send, as text or as the line arrays the client's reply
 * reader hands over, and what it accepts is well-formed.
 */
export const replyParse = named(
  "reply-parse",
  "SmtpReply.parse on any text or array of lines: never throws; a reply it returns is well-formed (code 000-999, safe lines)",
  fc.property(fc.oneof(Arbitraries.wireAnything, Arbitraries.wireLines), (wire) => {
    const r = SmtpReply.parse(wire)
    if (r !== undefined) wellFormed(r)
  })
)

/**
 * A well-formed reply with any code is parsed, and reads back equal from its stored fields (what a queue store
 * does: JSON of code, enhanced code and lines, then `SmtpReply.received`) and from its wire form.
 */
export const replyRoundTrip = named(
  "reply-round-trip",
  "any well-formed reply (000-999): parsed; fields → JSON → received and format → parse give it back",
  fc.property(Arbitraries.wireReply, (wire) => {
    const r = SmtpReply.parse(wire)
    if (r === undefined) throw new Error("a well-formed reply was not parsed")
    wellFormed(r)
    expectEqual(Number(wire.slice(0, 3)), r.code, "code")
    expectEqual(SmtpReply.received(r.code, r.enhanced, r.lines), r, "received(fields)")
    const stored: unknown = JSON.parse(JSON.stringify(r))
    const fields = stored as { readonly code: number; readonly enhanced?: string; readonly lines: ReadonlyArray<string> }
    expectEqual(SmtpReply.received(fields.code, fields.enhanced, fields.lines), r, "received(JSON)")
    expectEqual(SmtpReply.parse(SmtpReply.format(r)), r, "parse(format)")
  })
)

/** `SmtpReply.received` takes any number without throwing: a reply exactly for the integers 0–999. */
export const replyReceived = named(
  "reply-received",
  "SmtpReply.received on any number, enhanced code and lines: never throws; defined exactly for integers 0-999",
  fc.property(
    fc.oneof(fc.double(), fc.integer({ min: -10, max: 1010 })),
    fc.option(fc.string({ maxLength: 8 }), { nil: undefined }),
    fc.array(Arbitraries.lineText, { maxLength: 3 }),
    (code, enhanced, lines) => {
      const r = SmtpReply.received(code, enhanced, lines)
      expectEqual(r !== undefined, Number.isInteger(code) && code >= 0 && code <= 999, `received(${code}) defined`)
      if (r !== undefined) wellFormed(r)
    }
  )
)

/** `first` (a parse of `input`) is a failure or `null`, or an address whose own rendering `again` parses to it. */
const reparses = <E>(
  input: string,
  first: Result.Result<Address.Address | null, E>,
  render: (a: Address.Address) => string,
  again: (text: string) => Result.Result<Address.Address | null, E>
): void => {
  if (Result.isFailure(first) || first.success === null) return
  const text = render(first.success)
  const second = again(text)
  expect(Result.isSuccess(second), `${JSON.stringify(text)} (from ${JSON.stringify(input)}) does not parse again`)
  if (Result.isSuccess(second)) expectEqual(second.success, first.success, `parse(${JSON.stringify(text)})`)
}

/** `Address.parsePath`: never throws; an address it returns re-formats and re-parses to itself. */
export const addressPath = named(
  "address-path",
  "Address.parsePath on any input (quoted local parts, Postmaster, IDNs, literals): never throws; formatPath → parsePath is the identity",
  fc.property(Arbitraries.path, fc.boolean(), fc.boolean(), (input, smtpUtf8, allowNull) => {
    const options = { smtpUtf8, allowNull }
    reparses(input, Address.parsePath(input, options), Address.formatPath, (text) => Address.parsePath(text, options))
  })
)

/** `Address.parseMailbox`: never throws; an address it returns re-formats and re-parses to itself. */
export const addressMailbox = named(
  "address-mailbox",
  "Address.parseMailbox on any input: never throws; format → parseMailbox is the identity",
  fc.property(Arbitraries.mailbox, fc.boolean(), (input, smtpUtf8) => {
    reparses(input, Address.parseMailbox(input, { smtpUtf8 }), Address.format, (text) => Address.parseMailbox(text, { smtpUtf8 }))
  })
)

/** Stored envelope text: decoded or refused with the Schema's error, never anything else; decoded ones re-encode stably. */
export const envelopeDecode = named(
  "envelope-decode",
  "EnvelopeJson.decode on any JSON (valid, damaged, foreign): an envelope that re-encodes to the same text, or a SchemaError",
  fc.property(Arbitraries.envelopeJson, (json) => {
    let decoded: ReturnType<typeof EnvelopeJson.decode>
    try {
      decoded = EnvelopeJson.decode(json)
    } catch (e) {
      expect(Schema.isSchemaError(e), `decode threw ${String(e)}, not a SchemaError`)
      return
    }
    const text = EnvelopeJson.encode(decoded)
    expectEqual(EnvelopeJson.encode(EnvelopeJson.decode(text)), text, "encode(decode(encode))")
  })
)

/** Every property, in the order the fuzz script runs them. */
export const all: ReadonlyArray<NamedProperty> = [
  replyParse,
  replyRoundTrip,
  replyReceived,
  addressPath,
  addressMailbox,
  envelopeDecode
]
