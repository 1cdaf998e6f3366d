/**
 * One DMARC evaluation per From domain, by mailauth's `dmarc()` (policy record at the From domain, else at its
 * organisational domain from the public suffix list of `tldts`; `sp` for subdomains; alignment), fed the way
 * mailauth's own `authenticate()` feeds it: the SPF domain when SPF passed, the passing DKIM signatures' domains, the
 * ARC result.
 *
 * Two corrections of mailauth 4.13.3, both narrow:
 * - **Strict alignment** (`adkim=s`, `aspf=s`, RFC 7489 §3.1): mailauth reports `strict: true` but still aligns by
 *   organisational domain. When the record asks for strict alignment the evaluation is run again with only the
 *   identifiers equal to the From domain (the record is then in the `@cartero/dns` cache).
 * - **Several From domains**: mailauth answers `false` for anything but one From address; we evaluate each distinct
 *   domain on its own (RFC 7489 §6.6.1) and the plugin applies the most severe outcome.
 *
 * @since 0.1.0
 */
import { Message } from "@cartero/core"
import { AddressList, Headers } from "@cartero/mime"
import { Data, Effect, Option, Random, Stream } from "effect"
import { type ARCResult, type DKIMVerifyResult, dmarc, type DMARCResult, type DNSResolver, type SPFResult } from "mailauth"
import { domainToASCII } from "node:url"
import * as DmarcPolicy from "./DmarcPolicy.ts"

/** mailauth's `dmarc()` failed outside its own error handling (it normally turns failures into `temperror`). */
export class DmarcCheckError extends Data.TaggedError("DmarcCheckError")<{ readonly domain: string; readonly cause: unknown }> {
  override get message(): string {
    return `DMARC check of ${this.domain} failed: ${this.cause instanceof Error ? this.cause.message : String(this.cause)}`
  }
}

/**
 * The From field values as written, encoded words left as they are: the address parser decodes display names
 * itself, while a decoded value (`Message.headers`) could turn `=?utf-8?q?<bob@bank.example>?=` into an address.
 * Read from the message's first chunk (the header block is at its start); a From field beyond it (a header block
 * larger than a chunk, 256 KiB) falls back to the decoded values.
 */
export const fromValues = (message: Message.Message): Effect.Effect<ReadonlyArray<string>, Message.MessageReadError> =>
  Effect.map(Stream.runHead(Message.stream(message)), (chunk) => {
    const raw = Option.isSome(chunk) ? Headers.parse(chunk.value).getAll("From").map((field) => field.value) : []
    return raw.length > 0 ? raw : message.headers.getAll("From")
  })

/**
 * The distinct domains of the From field values, lower case, in ASCII (A-label) form, in order of appearance. Empty
 * when there is no From field or no address in it has a domain.
 */
export const fromDomains = (values: ReadonlyArray<string>): ReadonlyArray<string> => {
  const out: Array<string> = []
  for (const value of values) {
    for (const mailbox of AddressList.mailboxes(AddressList.parseList(value))) {
      const at = mailbox.address.lastIndexOf("@")
      if (at === -1) continue
      const raw = mailbox.address.slice(at + 1).trim().replace(/\.$/, "").toLowerCase()
      const domain = raw === "" ? "" : domainToASCII(raw) || raw
      if (domain !== "" && domain.includes(".") && !out.includes(domain)) out.push(domain)
    }
  }
  return out
}

/** What the earlier plugins recorded on the transaction. */
export interface Inputs {
  readonly spf: Option.Option<SPFResult>
  readonly dkim: Option.Option<DKIMVerifyResult>
  readonly arc: Option.Option<ARCResult>
}

/** The DKIM identifiers mailauth's DMARC takes: every passing signature's domain. */
export const dkimDomains = (dkim: Option.Option<DKIMVerifyResult>) =>
  Option.isNone(dkim) ? [] : dkim.value.results
    .filter((r) => r.status.result === "pass")
    .map((r) => ({
      ...(r.id === undefined ? {} : { id: r.id }),
      domain: r.signingDomain,
      ...(r.status.aligned === undefined ? {} : { aligned: r.status.aligned }),
      ...(r.status.underSized === undefined ? {} : { underSized: r.status.underSized })
    }))

/** The SPF identifier mailauth's DMARC takes: the checked domain, when SPF passed. */
export const spfDomains = (spf: Option.Option<SPFResult>): Array<string> =>
  Option.isSome(spf) && spf.value.status.result === "pass" ? [spf.value.domain] : []

/** One From domain, evaluated. */
export interface Evaluation {
  readonly domain: string
  readonly result: DMARCResult
  /** The policy that applies after `pct` sampling (`none` when nothing was published or the message passed). */
  readonly effective: DmarcPolicy.Published
}

/** `alignment` is missing at run time from mailauth's `none` and `temperror` results, whatever its type says. */
const strictness = (result: DMARCResult): { readonly spf: boolean; readonly dkim: boolean } => {
  const alignment = (result as { readonly alignment?: DMARCResult["alignment"] }).alignment
  return { spf: alignment?.spf.strict === true, dkim: alignment?.dkim.strict === true }
}

/** Evaluates one From domain. */
export const evaluate = Effect.fnUntraced(function*(resolver: DNSResolver, domain: string, inputs: Inputs) {
  const run = (spf: ReadonlyArray<string>, dkim: ReturnType<typeof dkimDomains>) =>
    Effect.tryPromise({
      try: () =>
        dmarc({
          headerFrom: `postmaster@${domain}`,
          spfDomains: [...spf],
          dkimDomains: dkim,
          ...(Option.isSome(inputs.arc) ? { arcResult: inputs.arc.value } : {}),
          resolver
        }),
      catch: (cause) => new DmarcCheckError({ domain, cause })
    })
  const spf = spfDomains(inputs.spf)
  const dkim = dkimDomains(inputs.dkim)
  let result = yield* run(spf, dkim)
  if (result === false) return yield* new DmarcCheckError({ domain, cause: "mailauth gave no result for one From domain" })
  const strict = strictness(result)
  if (result.status.result === "pass" && (strict.spf || strict.dkim)) {
    const exact = (d: string) => d.toLowerCase() === domain
    const again = yield* run(strict.spf ? spf.filter(exact) : spf, strict.dkim ? dkim.filter((d) => exact(d.domain)) : dkim)
    if (again !== false) result = again
  }
  if (result.status.result !== "fail") return { domain, result, effective: "none" } satisfies Evaluation
  const policy = DmarcPolicy.published(result.policy)
  const pct = result.pct
  const sampled = pct === undefined || pct >= 100 || (yield* Random.next) * 100 < pct
  return { domain, result, effective: sampled ? policy : DmarcPolicy.relax(policy) } satisfies Evaluation
})
