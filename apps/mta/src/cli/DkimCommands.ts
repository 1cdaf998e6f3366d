/**
 * `cartero dkim keygen|record`: the keys of `@cartero/plugin-dkim-sign` and the DNS records that publish them.
 *
 * `keygen` makes a key pair, writes the private key as `<out>/<domain>.<selector>.pem` (mode 0600, never over an
 * existing file) and prints the TXT record to publish, as a zone-file line whose text is cut into 255-octet
 * character-strings, and how to configure the plugin with it. `record` prints the record of an existing key (after
 * a lost zone edit, or to check what is published). Both print JSON with `--json`.
 *
 * @since 0.1.0
 */
import { DnsRecord, KeyGen, SigningKey } from "@cartero/plugin-dkim-sign"
import { Console, Data, Effect, Option, Result } from "effect"
import { Command, Flag } from "effect/cli"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"

/** The key file could not be written (the message says why; an existing file is never replaced). */
export class KeyFileError extends Data.TaggedError("KeyFileError")<{ readonly path: string; readonly reason: string }> {
  override get message(): string {
    return `${this.path}: ${this.reason}`
  }
}

const json = Flag.Boolean("json").pipe(Flag.withDescription("Print JSON instead of text"), Flag.withDefault(false))
const domainFlag = Flag.String("domain").pipe(Flag.withDescription("The signing domain (d=), e.g. example.com"))
const selectorFlag = Flag.String("selector").pipe(Flag.withDescription("The selector (s=): the record is <selector>._domainkey.<domain>"))

/** What both commands print. */
export interface RecordView {
  readonly domain: string
  readonly selector: string
  readonly type: DnsRecord.KeyType
  readonly bits: number | null
  readonly keyFile: string
  readonly name: string
  readonly record: string
  readonly strings: ReadonlyArray<string>
  readonly zoneLine: string
}

const view = (domain: string, selector: string, type: DnsRecord.KeyType, bits: number | undefined, keyFile: string, record: string): RecordView => ({
  domain,
  selector,
  type,
  bits: bits ?? null,
  keyFile,
  name: DnsRecord.name(selector, domain),
  record,
  strings: DnsRecord.strings(record),
  zoneLine: DnsRecord.zoneLine(selector, domain, record)
})

const describeKey = (v: RecordView) => `${v.type}${v.bits === null ? "" : ` ${v.bits} bits`}`

/** The record and how to use the key, for people. */
const instructions = (v: RecordView): string =>
  [
    `Publish this TXT record in the ${v.domain} zone:`,
    "",
    v.zoneLine,
    "",
    "Then sign with the key: in cartero.config.ts",
    "",
    `  outbound: [DkimSign.plugin({ keys: [{ domain: ${JSON.stringify(v.domain)}, selector: ${JSON.stringify(v.selector)}, keyFile: ${JSON.stringify(v.keyFile)} }] }), ...defaults.outbound]`,
    "",
    `or with DkimSign.pluginConfig and CARTERO_DKIM_KEYS=${v.domain}:${v.selector}:${v.keyFile}`
  ].join("\n")

/** Checks the domain and selector as the plugin will when it loads the key. */
const checkNames = (domain: string, selector: string) =>
  Effect.gen(function*() {
    const normalized = SigningKey.normalizeDomain(domain)
    if (normalized === undefined) return yield* new KeyGen.KeyGenError({ reason: `--domain ${JSON.stringify(domain)} is not a domain name` })
    if (!SigningKey.isSelector(selector)) {
      return yield* new KeyGen.KeyGenError({ reason: `--selector ${JSON.stringify(selector)} is not a selector (letters, digits, hyphens, dots)` })
    }
    return normalized
  })

/** Writes `text` to a new file readable by its owner only; refuses to replace an existing one. */
const writeNewFile = (path: string, text: string) =>
  Effect.tryPromise({
    try: async () => {
      await Fs.mkdir(Path.dirname(path), { recursive: true, mode: 0o700 })
      await Fs.writeFile(path, text, { mode: 0o600, flag: "wx" })
      // The mode given at creation is reduced by the umask; make it exact.
      await Fs.chmod(path, 0o600)
    },
    catch: (error) => {
      const code = typeof error === "object" && error !== null && "code" in error ? error.code : undefined
      return new KeyFileError({
        path,
        reason: code === "EEXIST"
          ? "already exists; not replaced (choose another selector, or move the old key away first)"
          : `cannot write the key (${error instanceof Error ? error.message : String(error)})`
      })
    }
  })

const keygen = Command.make(
  "keygen",
  {
    domain: domainFlag,
    selector: selectorFlag,
    type: Flag.Literals("type", ["rsa", "ed25519"]).pipe(Flag.withDescription("Key type (ed25519: RFC 8463; publish an RSA key too, not every verifier knows Ed25519)"), Flag.withDefault("rsa")),
    bits: Flag.Int("bits").pipe(Flag.withDescription("RSA key size (default 2048)"), Flag.optional),
    out: Flag.String("out").pipe(Flag.withDescription("Directory for the private key (default: the current directory)"), Flag.withDefault(".")),
    json
  },
  Effect.fn("cli.dkim.keygen")(function*(o) {
    const domain = yield* checkNames(o.domain, o.selector)
    const pair = yield* KeyGen.generate(o.type, Option.getOrUndefined(o.bits))
    const keyFile = Path.resolve(o.out, `${domain}.${o.selector}.pem`)
    yield* writeNewFile(keyFile, pair.privateKeyPem)
    const v = view(domain, o.selector, pair.type, pair.bits, keyFile, pair.record)
    yield* Console.log(o.json
      ? JSON.stringify(v, null, 2)
      : `Wrote the private key to ${keyFile} (${describeKey(v)}, mode 0600).\n\n${instructions(v)}`)
  })
).pipe(Command.withDescription("Generate a DKIM key pair: write the private key, print the DNS TXT record to publish"))

const record = Command.make(
  "record",
  {
    domain: domainFlag,
    selector: selectorFlag,
    key: Flag.String("key").pipe(Flag.withDescription("The private key file (PEM)")),
    json
  },
  Effect.fn("cli.dkim.record")(function*(o) {
    const keyFile = Path.resolve(o.key)
    yield* checkNames(o.domain, o.selector)
    const pem = yield* Effect.tryPromise({
      try: () => Fs.readFile(keyFile),
      catch: (error) => new KeyFileError({ path: keyFile, reason: `cannot read the key (${error instanceof Error ? error.message : String(error)})` })
    })
    const loaded = SigningKey.fromPem({ domain: o.domain, selector: o.selector }, pem, keyFile)
    if (Result.isFailure(loaded)) return yield* loaded.failure
    const { key, warning } = loaded.success
    if (warning !== undefined) yield* Console.error(`cartero: warning: ${warning}`)
    const v = view(key.domain, key.selector, key.type, key.bits, keyFile, key.record)
    yield* Console.log(o.json ? JSON.stringify(v, null, 2) : `${keyFile} (${describeKey(v)}).\n\n${instructions(v)}`)
  })
).pipe(Command.withDescription("Print the DNS TXT record of an existing DKIM private key"))

/** `cartero dkim ...`. */
export const command = Command.make("dkim").pipe(
  Command.withDescription("DKIM signing keys (@cartero/plugin-dkim-sign) and their DNS records"),
  Command.withSubcommands([keygen, record])
)
