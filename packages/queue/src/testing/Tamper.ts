/**
 * Writing a store's records behind its back, as a bug, an old version or a hand edit would: what the conformance
 * suite's quarantine cases need ({@link SuiteQuarantine}). Each store's tests provide it next to the store, over
 * the same instance (the memory store's map, a second connection to the SQLite file, a raw Redis client).
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer } from "effect"
import * as MemoryQueueStore from "../MemoryQueueStore.ts"
import type { MessageId } from "../QueuedMessage.ts"
import { QueueStore, type StoreOptions } from "../QueueStore.ts"

/** The hooks. Each replaces stored text as it is, without any codec. */
export interface Service {
  /** Replaces the stored envelope of message `id`. */
  readonly envelope: (id: MessageId, raw: string) => Effect.Effect<void>
  /** Replaces the stored last reply of recipient `index` of message `id`. */
  readonly reply: (id: MessageId, index: number, raw: string) => Effect.Effect<void>
}

/** The tamper hook of the store under test. */
export class Tamper extends Context.Service<Tamper, Service>()("@cartero/queue/testing/Tamper") {
  /** A fresh memory store and its hook. */
  static readonly layerMemory = (options: StoreOptions = {}): Layer.Layer<QueueStore | Tamper> =>
    Layer.effectContext(Effect.gen(function*() {
      const { records, store } = yield* MemoryQueueStore.makeWithRecords(options)
      const entry = (id: MessageId) => {
        const found = records.get(id)
        if (found === undefined) throw new Error(`no stored message ${id}`)
        return found
      }
      const tamper: Service = {
        envelope: (id, raw) =>
          Effect.sync(() => {
            const e = entry(id)
            e.stored = { ...e.stored, envelope: raw }
          }),
        reply: (id, index, raw) =>
          Effect.sync(() => {
            const e = entry(id)
            e.stored = { ...e.stored, recipients: e.stored.recipients.map((r) => (r.index === index ? { ...r, reply: raw } : r)) }
          })
      }
      return Context.make(QueueStore, store).pipe(Context.add(Tamper, tamper))
    }))
}
