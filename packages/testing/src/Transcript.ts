/**
 * Transcript tests: an SMTP dialog written as text, chasquid-style, run against a server on a real socket.
 *
 * ```
 * <- 220 *                  expect a reply whose final line matches (`*` is a wildcard, otherwise exact)
 * -> EHLO client.test       send a line (CRLF appended)
 * <~ 250                    expect a reply whose final line starts with this
 * <* 250-SIZE               some line of the current reply contains this (`*` wildcards allowed)
 * <! STARTTLS               no line of the current reply contains this
 * <- 250-mx.test            consecutive `<-` lines ending in a `ddd ` line: match the whole
 * <- 250 PIPELINING           multi-line reply line by line (same number of lines)
 * => DATA\r\nbody\n.\n      send raw bytes, escapes \r \n \t \0 \\ \xHH, nothing appended
 * << closed                 expect the server to close the connection (and send nothing more)
 * ** tls                    upgrade the socket to TLS now (after `-> STARTTLS` / `<- 220 *`)
 * ** sleep 100              pause 100 ms (to split packets)
 * ** timeout 500            per-step timeout from here on, in ms (default 5000)
 * # comment                 blank lines and `#` comments are ignored; leading indentation is ignored
 * ```
 *
 * `<-` and `<~` read a new reply; `<*` and `<!` look at the reply read last, reading one only if something was
 * sent since. A failing step fails the run with {@link TranscriptMismatch}, which shows the step, what was expected,
 * what arrived and the whole conversation.
 *
 * @since 0.1.0
 */
import { Data, Duration, Effect } from "effect"
import * as SmtpTestClient from "./SmtpTestClient.ts"

/** One parsed directive. `line` is its 1-based line number in the script, `source` its text. */
export type Step =
  | { readonly _tag: "Send"; readonly line: number; readonly source: string; readonly text: string }
  | { readonly _tag: "SendRaw"; readonly line: number; readonly source: string; readonly data: Uint8Array }
  | { readonly _tag: "Expect"; readonly line: number; readonly source: string; readonly patterns: ReadonlyArray<string> }
  | { readonly _tag: "ExpectPrefix"; readonly line: number; readonly source: string; readonly prefix: string }
  | {
    readonly _tag: "ExpectLine"
    readonly line: number
    readonly source: string
    readonly pattern: string
    readonly negate: boolean
  }
  | { readonly _tag: "ExpectClosed"; readonly line: number; readonly source: string }
  | { readonly _tag: "Tls"; readonly line: number; readonly source: string }
  | { readonly _tag: "Sleep"; readonly line: number; readonly source: string; readonly millis: number }
  | { readonly _tag: "Timeout"; readonly line: number; readonly source: string; readonly millis: number }

/** The script itself is malformed (unknown directive, bad escape, unfinished multi-line expectation). */
export class TranscriptSyntaxError extends Data.TaggedError("TranscriptSyntaxError")<{
  readonly line: number
  readonly source: string
  readonly detail: string
}> {
  override get message(): string {
    return `transcript syntax error at line ${this.line} (${this.source}): ${this.detail}`
  }
}

/** The server did not behave as the script says. */
export class TranscriptMismatch extends Data.TaggedError("TranscriptMismatch")<{
  /** 1-based line of the failing directive in the script (0: connecting). */
  readonly line: number
  /** The failing directive as written. */
  readonly step: string
  readonly expected: string
  /** What arrived instead (reply lines), possibly empty. */
  readonly actual: ReadonlyArray<string>
  /** Why, in words: "mismatch", a timeout, a close. */
  readonly detail: string
  /** The whole conversation up to the failure (`C:` client, `S:` server, `--` events). */
  readonly conversation: ReadonlyArray<string>
}> {
  override get message(): string {
    // vitest rewrites `actual`/`expected` of a thrown error into strings for its diff view, then reads `message`.
    const lines: ReadonlyArray<string> = Array.isArray(this.actual) ? this.actual : [String(this.actual)]
    const actual = lines.length === 0 ? "(nothing)" : lines.map(SmtpTestClient.visible).join("\n            ")
    return [
      `transcript failed at line ${this.line}: ${this.step}`,
      `  expected: ${this.expected}`,
      `  actual:   ${actual}`,
      `  detail:   ${this.detail}`,
      "  conversation:",
      ...this.conversation.map((l) => `    ${l}`)
    ].join("\n")
  }
}

/** Where the server under test listens, TLS settings for `** tls`, and the per-step timeout. */
export interface RunOptions {
  readonly host: string
  readonly port: number
  readonly tls?: SmtpTestClient.TlsOptions
  /** Default 5 seconds. `** timeout` changes it for the rest of the script. */
  readonly timeout?: Duration.Input
  /** The local address to connect from (another loopback address is another client). */
  readonly localAddress?: string
}

// Literal text is sent as UTF-8 (SMTPUTF8 addresses); `\xHH` is one raw octet, so any byte can be sent.
const unescape = (raw: string): Uint8Array | undefined => {
  const parts: Array<Buffer> = []
  let text = ""
  const flush = () => {
    if (text !== "") parts.push(Buffer.from(text, "utf8"))
    text = ""
  }
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] ?? ""
    if (c !== "\\") {
      text += c
      continue
    }
    const n = raw[++i]
    if (n === "r") text += "\r"
    else if (n === "n") text += "\n"
    else if (n === "t") text += "\t"
    else if (n === "0") text += "\0"
    else if (n === "\\") text += "\\"
    else if (n === "x" && /^[0-9a-fA-F]{2}$/.test(raw.slice(i + 1, i + 3))) {
      flush()
      parts.push(Buffer.from([parseInt(raw.slice(i + 1, i + 3), 16)]))
      i += 2
    } else return undefined
  }
  flush()
  return Buffer.concat(parts)
}

/** Parses a script into steps. Pure; exposed so that a bad script fails fast and tests can inspect it. */
export const parse = (script: string): Effect.Effect<ReadonlyArray<Step>, TranscriptSyntaxError> =>
  Effect.suspend(() => {
    const steps: Array<Step> = []
    let group: { line: number; source: string; patterns: Array<string> } | undefined
    const rows = script.split("\n")
    for (let i = 0; i < rows.length; i++) {
      const source = (rows[i] ?? "").replace(/\r$/, "").trimStart()
      const line = i + 1
      if (source === "" || source.startsWith("#")) continue
      const op = source.slice(0, 2)
      // One space separates the directive from its argument; what follows is taken literally.
      const arg = source.length > 2 && source[2] === " " ? source.slice(3) : source.slice(2)
      const bad = (detail: string) => Effect.fail(new TranscriptSyntaxError({ line, source, detail }))
      if (group !== undefined && op !== "<-") return bad("multi-line `<-` expectation needs a final `ddd ` line")
      switch (op) {
        case "->":
          steps.push({ _tag: "Send", line, source, text: arg })
          break
        case "=>": {
          const data = unescape(arg)
          if (data === undefined) return bad("bad escape (use \\r \\n \\t \\0 \\\\ \\xHH)")
          steps.push({ _tag: "SendRaw", line, source, data })
          break
        }
        case "<-": {
          const pattern = arg.trimEnd()
          if (/^\d{3}-/.test(pattern)) {
            group = group ?? { line, source, patterns: [] }
            group.patterns.push(pattern)
          } else if (group !== undefined) {
            group.patterns.push(pattern)
            steps.push({ _tag: "Expect", line: group.line, source: `${group.source} …`, patterns: group.patterns })
            group = undefined
          } else steps.push({ _tag: "Expect", line, source, patterns: [pattern] })
          break
        }
        case "<~":
          steps.push({ _tag: "ExpectPrefix", line, source, prefix: arg.trimEnd() })
          break
        case "<*":
        case "<!":
          steps.push({ _tag: "ExpectLine", line, source, pattern: arg.trimEnd(), negate: op === "<!" })
          break
        case "<<":
          if (arg.trim() !== "closed") return bad("expected `<< closed`")
          steps.push({ _tag: "ExpectClosed", line, source })
          break
        case "**": {
          const [word, value] = arg.trim().split(/\s+/)
          const millis = Number(value)
          if (word === "tls") steps.push({ _tag: "Tls", line, source })
          else if ((word === "sleep" || word === "timeout") && Number.isFinite(millis) && millis >= 0) {
            steps.push({ _tag: word === "sleep" ? "Sleep" : "Timeout", line, source, millis })
          } else return bad("unknown directive (`** tls`, `** sleep <ms>`, `** timeout <ms>`)")
          break
        }
        default:
          return bad("unknown directive (use -> => <- <~ <* <! << **)")
      }
    }
    if (group !== undefined) {
      return Effect.fail(
        new TranscriptSyntaxError({ line: group.line, source: group.source, detail: "multi-line `<-` expectation never ends" })
      )
    }
    return Effect.succeed(steps)
  })

const globToRegExp = (pattern: string, anchor: "full" | "prefix" | "none"): RegExp => {
  const body = pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")
  return new RegExp(anchor === "full" ? `^${body}$` : anchor === "prefix" ? `^${body}` : body, "s")
}

/** Whether `line` matches a `<-` pattern: exact, with `*` matching any run of characters. */
export const matches = (pattern: string, line: string): boolean => globToRegExp(pattern, "full").test(line)

/**
 * Runs a script against `host:port`. Succeeds with the conversation; fails with {@link TranscriptMismatch} at the
 * first step the server does not satisfy, or {@link TranscriptSyntaxError} before connecting if the script is bad.
 */
export const run: (
  options: RunOptions,
  script: string
) => Effect.Effect<ReadonlyArray<string>, TranscriptMismatch | TranscriptSyntaxError> = Effect.fn("Transcript.run")(
  function*(options: RunOptions, script: string) {
    const steps = yield* parse(script)
    return yield* Effect.scoped(Effect.gen(function*() {
      let timeout: Duration.Input = options.timeout ?? "5 seconds"
      const client = yield* SmtpTestClient.connect({
        host: options.host,
        port: options.port,
        timeout,
        ...(options.tls !== undefined ? { tls: options.tls } : {}),
        ...(options.localAddress !== undefined ? { localAddress: options.localAddress } : {})
      }).pipe(
        Effect.mapError((e) =>
          new TranscriptMismatch({
            line: 0,
            step: `connect ${options.host}:${options.port}`,
            expected: "a connection",
            actual: [],
            detail: e.message,
            conversation: []
          })
        )
      )
      let current: SmtpTestClient.Reply | undefined
      for (const step of steps) {
        const mismatch = (expected: string, actual: ReadonlyArray<string>, detail = "mismatch") =>
          Effect.flatMap(client.conversation, (conversation) =>
            Effect.fail(new TranscriptMismatch({ line: step.line, step: step.source, expected, actual, detail, conversation })))
        const expectation = describe(step)
        // A client failure (timeout, close, garbage) is reported as a mismatch of the step that hit it.
        const orMismatch = <A>(eff: Effect.Effect<A, SmtpTestClient.SmtpClientError>) =>
          Effect.catch(eff, (e) => mismatch(expectation, e.lines, e.message))
        const read = orMismatch(client.readReply(timeout)).pipe(Effect.map((r) => {
          current = r
          return r
        }))
        switch (step._tag) {
          case "Send":
            current = undefined
            yield* orMismatch(client.send(step.text))
            break
          case "SendRaw":
            current = undefined
            yield* orMismatch(client.sendRaw(step.data))
            break
          case "Expect": {
            const r = yield* read
            const ok = step.patterns.length === 1
              ? matches(step.patterns[0] ?? "", r.lines[r.lines.length - 1] ?? "")
              : step.patterns.length === r.lines.length && step.patterns.every((p, i) => matches(p, r.lines[i] ?? ""))
            if (!ok) return yield* mismatch(expectation, r.lines)
            break
          }
          case "ExpectPrefix": {
            const r = yield* read
            if (!(r.lines[r.lines.length - 1] ?? "").startsWith(step.prefix)) return yield* mismatch(expectation, r.lines)
            break
          }
          case "ExpectLine": {
            const r = current ?? (yield* read)
            const re = globToRegExp(step.pattern, "none")
            if (r.lines.some((l) => re.test(l)) === step.negate) return yield* mismatch(expectation, r.lines)
            break
          }
          case "ExpectClosed":
            yield* orMismatch(client.expectClose(timeout))
            break
          case "Tls":
            current = undefined
            yield* orMismatch(client.upgradeTls())
            break
          case "Sleep":
            yield* Effect.sleep(Duration.millis(step.millis))
            break
          case "Timeout":
            timeout = Duration.millis(step.millis)
            break
        }
      }
      return yield* client.conversation
    }))
  }
)

const describe = (step: Step): string => {
  switch (step._tag) {
    case "Send":
    case "SendRaw":
      return "the send to succeed"
    case "Expect":
      return step.patterns.length === 1
        ? `a reply whose final line matches ${JSON.stringify(step.patterns[0])}`
        : `a reply of exactly ${step.patterns.length} lines matching ${JSON.stringify(step.patterns)}`
    case "ExpectPrefix":
      return `a reply whose final line starts with ${JSON.stringify(step.prefix)}`
    case "ExpectLine":
      return `${step.negate ? "no" : "some"} line of the reply containing ${JSON.stringify(step.pattern)}`
    case "ExpectClosed":
      return "the server to close the connection"
    case "Tls":
      return "a TLS handshake"
    case "Sleep":
    case "Timeout":
      return step.source
  }
}
