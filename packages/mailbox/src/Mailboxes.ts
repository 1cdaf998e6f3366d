/**
 * The `Mailboxes` service: the Maildirs under a root (`<root>/<domain>/<local>/Maildir`, as the maildir plugin
 * writes them) seen as mailboxes of messages: list, page and search, read one, download it or one of its parts,
 * flag it seen or unseen, delete it, and a stream of {@link Change}s (see `Changes.ts`).
 *
 * Bounded work per request: a page reads the summaries of its messages only (a summary parses at most
 * `maxSummaryBytes` of the file and is cached by file in an LRU of `summaryCache` entries, since a Maildir message
 * never changes once delivered); a search reads the summaries of at most `maxSearchScan` newest messages; a view
 * parses at most `maxViewBytes` of the file. `raw` and `part` read the whole file: they are downloads, and a stored
 * message is bounded by the SMTP size limit it was accepted under.
 *
 * @since 0.1.0
 */
import { Context, Duration, Effect, Layer, PubSub, Stream } from "effect"
import * as Path from "node:path"
import * as Changes from "./Changes.ts"
import * as Content from "./Content.ts"
import * as Folder from "./Folder.ts"
import { Lru } from "./Lru.ts"
import { InvalidSearch, MailboxMessageNotFound, MailboxNotFound, MaildirReadError, PartNotFound } from "./MailboxError.ts"
import * as Names from "./Names.ts"
import * as Search from "./Search.ts"

/** A mailbox with its counts. */
export interface MailboxInfo {
  readonly address: string
  readonly messages: number
  readonly unread: number
}

/** A listing's line (`Content.Summary` with where and when). */
export interface MessageSummary {
  readonly id: string
  readonly mailbox: string
  readonly from: string
  readonly to: ReadonlyArray<string>
  readonly subject: string
  readonly date: string
  readonly receivedAt: string
  readonly size: number
  readonly seen: boolean
  readonly attachments: number
  readonly snippet: string
}

/** One message in full. */
export type MessageView = MessageSummary & Content.Body

/** A page of a listing. */
export interface MessagePage {
  readonly messages: ReadonlyArray<MessageSummary>
  /** Messages matching the search (all of the mailbox's without one). */
  readonly total: number
  /** The cursor of the next page, when there is one. */
  readonly next?: string
}

/** One decoded part. */
export interface PartContent {
  readonly info: Content.PartInfo
  readonly content: Uint8Array
  readonly charset: string | undefined
}

export type Change = Changes.Change

/** Options of the service. */
export interface Options {
  readonly root: string
  /** How often the Maildirs are checked for changes (default 1 s). */
  readonly pollInterval?: Duration.Input
  readonly maxSummaryBytes?: number
  readonly maxViewBytes?: number
  readonly maxSearchScan?: number
  readonly summaryCache?: number
  readonly limits?: Content.Limits
}

/** The page size limits of `messages`. */
export const MAX_PAGE = 500
export const DEFAULT_PAGE = 50

type NotFound = MailboxNotFound | MailboxMessageNotFound

/** The service. */
export interface Service {
  /** The absolute root. */
  readonly root: string
  readonly list: Effect.Effect<ReadonlyArray<MailboxInfo>, MaildirReadError>
  readonly messages: (
    mailbox: string,
    query: { readonly search?: string | undefined; readonly limit?: number | undefined; readonly cursor?: string | undefined }
  ) => Effect.Effect<MessagePage, MailboxNotFound | InvalidSearch | MaildirReadError>
  readonly message: (mailbox: string, id: string, partUrl: (index: number) => string) => Effect.Effect<MessageView, NotFound | MaildirReadError>
  /** The file's bytes. */
  readonly raw: (mailbox: string, id: string) => Effect.Effect<Uint8Array, NotFound | MaildirReadError>
  readonly part: (mailbox: string, id: string, index: number) => Effect.Effect<PartContent, NotFound | PartNotFound | MaildirReadError>
  /** Sets or clears the seen flag; answers the flag now. */
  readonly setSeen: (mailbox: string, id: string, seen: boolean) => Effect.Effect<boolean, NotFound | MaildirReadError>
  readonly remove: (mailbox: string, id: string) => Effect.Effect<void, NotFound | MaildirReadError>
  /** Messages appearing and disappearing in any mailbox, whoever wrote them; ends when the service's scope closes. */
  readonly changes: Stream.Stream<Change>
}

// A message that moves (flagged by another process) between a look-up and a read is looked up again this often.
const ATTEMPTS = 3

/** Builds the service; the change watcher runs in the caller's scope. */
export const make = Effect.fn("Mailboxes.make")(function*(options: Options) {
  const root = Path.resolve(options.root)
  const limits = options.limits ?? Content.defaultLimits
  const maxSummaryBytes = options.maxSummaryBytes ?? 256 * 1024
  const maxViewBytes = options.maxViewBytes ?? 32 * 1024 * 1024
  const maxSearchScan = options.maxSearchScan ?? 20_000
  const cache = new Lru<string, { readonly summary: Content.Summary; readonly size: number; readonly arrival: Date }>(options.summaryCache ?? 10_000)

  const dirOf = (mailbox: string) =>
    Effect.gen(function*() {
      const dir = Names.mailboxDir(root, mailbox)
      if (dir === undefined || !(yield* Folder.isDirectory(dir))) return yield* new MailboxNotFound({ mailbox })
      return dir
    })

  const arrivalOf = (entry: Folder.Entry, mtime: Date) => (entry.seconds > 0 ? new Date(entry.seconds * 1000) : mtime)

  const summaryOf = (mailbox: string, dir: string, entry: Folder.Entry) =>
    Effect.gen(function*() {
      const key = `${dir}\u0000${entry.unique}`
      let cached = cache.get(key)
      for (let attempt = 0; cached === undefined && attempt < ATTEMPTS; attempt++) {
        const where = attempt === 0 ? entry : yield* Folder.locate(dir, entry.unique)
        if (where === undefined) return undefined
        const read = yield* Folder.readPrefix(Path.join(dir, where.file), maxSummaryBytes)
        if (read === undefined) continue
        const arrival = arrivalOf(entry, read.mtime)
        cached = { summary: Content.summary(read.bytes, arrival, limits), size: read.size, arrival }
        cache.set(key, cached)
      }
      if (cached === undefined) return undefined
      const line: MessageSummary = {
        id: Names.idOf(entry.unique),
        mailbox,
        from: cached.summary.from,
        to: cached.summary.to,
        subject: cached.summary.subject,
        date: cached.summary.date.toISOString(),
        receivedAt: cached.arrival.toISOString(),
        size: cached.size,
        seen: entry.seen,
        attachments: cached.summary.attachments,
        snippet: cached.summary.snippet
      }
      return { line, summary: cached.summary }
    })

  const list = Effect.gen(function*() {
    const out: Array<MailboxInfo> = []
    for (const domain of yield* Folder.names(root)) {
      for (const local of yield* Folder.names(Path.join(root, domain))) {
        const address = Names.addressOf(domain, local)
        const dir = Path.join(root, domain, local, "Maildir")
        if (address === undefined || !(yield* Folder.isDirectory(dir))) continue
        const entries = yield* Folder.scan(dir)
        out.push({ address, messages: entries.length, unread: entries.filter((e) => !e.seen).length })
      }
    }
    return out.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0))
  })

  const messages: Service["messages"] = (mailbox, query) =>
    Effect.gen(function*() {
      const dir = yield* dirOf(mailbox)
      const terms = yield* Search.parse(query.search ?? "")
      const limit = Math.min(Math.max(query.limit ?? DEFAULT_PAGE, 1), MAX_PAGE)
      const entries = yield* Folder.scan(dir)
      const after = query.cursor === undefined ? undefined : Names.uniqueOfId(query.cursor)
      if (query.cursor !== undefined && after === undefined) return yield* new InvalidSearch({ parameter: "cursor", message: "the cursor is not one this server gave" })
      const position = after === undefined ? undefined : { unique: after, seconds: Names.arrivalSeconds(after) ?? 0 }
      const rest = position === undefined ? entries : entries.filter((e) => Folder.newestFirst(position, e) < 0)
      if (terms.length === 0) {
        const page = rest.slice(0, limit)
        const lines = yield* Effect.forEach(page, (e) => summaryOf(mailbox, dir, e), { concurrency: 8 })
        const shown = lines.flatMap((l) => (l === undefined ? [] : [l.line]))
        const last = page[page.length - 1]
        return { messages: shown, total: entries.length, ...(rest.length > limit && last !== undefined ? { next: Names.idOf(last.unique) } : {}) }
      }
      // A search reads summaries (cached) of the newest `maxSearchScan` messages and counts every match.
      const scanned = entries.slice(0, maxSearchScan)
      const matched: Array<{ readonly entry: Folder.Entry; readonly line: MessageSummary }> = []
      yield* Effect.forEach(scanned, (entry) =>
        Effect.map(summaryOf(mailbox, dir, entry), (l) => {
          if (l !== undefined && Search.matches(terms, l.summary)) matched.push({ entry, line: l.line })
        }), { concurrency: 8, discard: true })
      matched.sort((a, b) => Folder.newestFirst(a.entry, b.entry))
      const remaining = position === undefined ? matched : matched.filter((m) => Folder.newestFirst(position, m.entry) < 0)
      const page = remaining.slice(0, limit)
      const last = page[page.length - 1]
      return {
        messages: page.map((m) => m.line),
        total: matched.length,
        ...(remaining.length > limit && last !== undefined ? { next: Names.idOf(last.entry.unique) } : {})
      }
    })

  /** Reads a message (at most `limit` bytes), following it if it moves meanwhile. */
  const read = (mailbox: string, id: string, limit: number) =>
    Effect.gen(function*() {
      const dir = yield* dirOf(mailbox)
      const unique = Names.uniqueOfId(id)
      if (unique !== undefined) {
        for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
          const entry = yield* Folder.locate(dir, unique)
          if (entry === undefined) break
          const bytes = yield* Folder.readPrefix(Path.join(dir, entry.file), limit)
          if (bytes !== undefined) return { dir, entry, ...bytes }
        }
      }
      return yield* new MailboxMessageNotFound({ mailbox, id })
    })

  const find = (mailbox: string, id: string) =>
    Effect.gen(function*() {
      const dir = yield* dirOf(mailbox)
      const unique = Names.uniqueOfId(id)
      const entry = unique === undefined ? undefined : yield* Folder.locate(dir, unique)
      if (entry === undefined) return yield* new MailboxMessageNotFound({ mailbox, id })
      return { dir, entry }
    })

  const message: Service["message"] = (mailbox, id, partUrl) =>
    Effect.gen(function*() {
      const { dir, entry, bytes, size } = yield* read(mailbox, id, maxViewBytes)
      const line = yield* summaryOf(mailbox, dir, entry)
      if (line === undefined) return yield* new MailboxMessageNotFound({ mailbox, id })
      const body = Content.body(bytes, partUrl, limits)
      return { ...line.line, ...body, truncated: body.truncated || size > bytes.byteLength }
    })

  const raw: Service["raw"] = (mailbox, id) => Effect.map(read(mailbox, id, Number.MAX_SAFE_INTEGER), (r) => r.bytes)

  // A part is read from the whole file (bounded by the server's message size limit), never from a prefix: a
  // download must not be silently cut.
  const part: Service["part"] = (mailbox, id, index) =>
    Effect.gen(function*() {
      const { bytes } = yield* read(mailbox, id, Number.MAX_SAFE_INTEGER)
      const found = Number.isSafeInteger(index) && index >= 0 ? Content.part(bytes, index) : undefined
      if (found === undefined) return yield* new PartNotFound({ mailbox, id, index })
      return found
    })

  const setSeen: Service["setSeen"] = (mailbox, id, seen) =>
    Effect.gen(function*() {
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        const { dir, entry } = yield* find(mailbox, id)
        const flags = Names.flagsOf(entry.file).replace(/S/g, "")
        if (yield* Folder.setFlags(dir, entry, seen ? `${flags}S` : flags)) return seen
      }
      return yield* new MailboxMessageNotFound({ mailbox, id })
    })

  const remove: Service["remove"] = (mailbox, id) =>
    Effect.gen(function*() {
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        const { dir, entry } = yield* find(mailbox, id)
        if (yield* Folder.remove(dir, entry)) return
      }
      return yield* new MailboxMessageNotFound({ mailbox, id })
    })

  const pubsub = yield* Effect.acquireRelease(PubSub.sliding<Change>(4096), PubSub.shutdown)
  yield* Changes.watch(root, options.pollInterval ?? Duration.seconds(1), (change) => PubSub.publish(pubsub, change)).pipe(Effect.forkScoped)

  return {
    root,
    list,
    messages,
    message,
    raw,
    part,
    setSeen,
    remove,
    changes: Stream.fromPubSub(pubsub)
  } satisfies Service
})

/** The service tag. */
export class Mailboxes extends Context.Service<Mailboxes, Service>()("@cartero/mailbox/Mailboxes") {
  /** The service over `options.root`, its change watcher running in the layer's scope. */
  static readonly layer = (options: Options) => Layer.effect(Mailboxes, make(options))
}
