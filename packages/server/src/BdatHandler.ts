/**
 * The application side of BDAT (the protocol side is `ChunkingPatch`): the `data` phase at the first chunk, the
 * message read with the same `DataReader` as DATA (size limit over the running total, bare CR/LF and 998-octet
 * lines unless `BODY=BINARYMIME`, spill to disk past the threshold), and at LAST the same checks, `message` →
 * `queue` phases and replies as DATA (`DataHandler.complete`).
 *
 * @since 0.2.0
 */
import { DataReader } from "./DataReader.ts"
import * as DataHandler from "./DataHandler.ts"
import * as EventLog from "./EventLog.ts"
import type { Context } from "./Handlers.ts"
import type * as ServerExtension from "./ServerExtension.ts"
import * as SessionState from "./SessionState.ts"

/** CHUNKING for a listener; `data` runs the `data` phase (the extension's, as for DATA). */
export const make = (ctx: Context, data: ServerExtension.ServerExtension["data"]): ServerExtension.Chunking => ({
  binaryMime: ctx.options.binaryMime,
  begin: (session, resume) =>
    data(session, (outcome) => {
      if (outcome._tag === "Refuse") return resume(outcome)
      const state = ctx.states.get(session)
      const txn = state === undefined ? undefined : SessionState.currentTxn(state)
      const reader = new DataReader(
        ctx.options.maxMessageSize,
        { threshold: ctx.options.spillThreshold, dir: ctx.options.spillDir },
        session.envelope.bodyType === "binarymime"
      )
      resume({
        _tag: "Transfer",
        push: (bytes) => reader.push(bytes),
        drained: () => reader.drained(),
        check: () => {
          const failed = reader.failed
          if (failed === undefined) return undefined
          const reply = DataHandler.refusal(failed === "TooBig" ? { _tag: failed, size: reader.received } : { _tag: failed }, ctx.options)
          ctx.limits.metrics.messageRefused()
          if (state !== undefined) {
            ctx.bridge.fire(session.id, EventLog.refused(state, { phase: "message", reply, plugin: EventLog.server, txn }))
          }
          return reply
        },
        finish: (callback) => {
          const answer = (result: Parameters<typeof DataHandler.complete>[5]) =>
            DataHandler.complete(ctx, session, state, txn, reader.received, result, (err, message) => {
              void reader.discard()
              callback(err, message)
            })
          reader.finish().then(answer, (cause: unknown) => answer({ _tag: "SpillFailed", cause }))
        },
        discard: () => void reader.discard()
      })
    })
})

