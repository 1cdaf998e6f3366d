/**
 * Carries out the header-field removals that hooks asked for (`HeaderEdits`, `@cartero/core`) on a received
 * message, between the `message` and `queue` phases (see `DataHandler.deliver`).
 *
 * - Fields of the message as received: the header block is scanned on its raw octets (`HeaderRemoval`,
 *   `@cartero/mime`). A message in memory gets new bytes; a spilled message keeps its file and gets the edited
 *   header block as `Spilled.head`, in place of the file's first octets.
 * - Fields in `prepend` (the server's `Received:`, headers of `data` verdicts): `prepend` is rendered by the
 *   server, so it is edited as UTF-8 text.
 *
 * Nothing is copied when no field matches; the `headers` view is rebuilt only when the header block changed.
 *
 * @since 0.1.0
 */
import { HeaderEdits, type Message } from "@cartero/core"
import { HeaderRemoval, Headers } from "@cartero/mime"

const rulesFor = (removals: ReadonlyArray<HeaderEdits.Removal>, part: "received" | "added"): ReadonlyArray<HeaderRemoval.Rule> =>
  removals.filter((removal) => HeaderEdits.appliesTo(removal, part))

/** The data without the fields `rules` match, or `undefined` when none does. `head` is the received header block. */
const editData = (
  data: Message.Data,
  head: Uint8Array,
  rules: ReadonlyArray<HeaderRemoval.Rule>
): { readonly data: Message.Data; readonly block: Uint8Array } | undefined => {
  if (rules.length === 0) return undefined
  if (data._tag === "InMemory") {
    const removed = HeaderRemoval.remove(data.bytes, rules)
    return removed === undefined ? undefined : { data: { _tag: "InMemory", bytes: removed.bytes }, block: removed.bytes }
  }
  const block = data.head?.bytes ?? head
  const removed = HeaderRemoval.remove(block, rules)
  if (removed === undefined) return undefined
  const replaces = data.head?.replaces ?? head.length
  return { data: { ...data, head: { bytes: removed.bytes, replaces } }, block: removed.bytes }
}

const editPrepend = (prepend: string, rules: ReadonlyArray<HeaderRemoval.Rule>): string | undefined => {
  if (rules.length === 0 || prepend === "") return undefined
  const removed = HeaderRemoval.remove(Buffer.from(prepend, "utf8"), rules)
  return removed === undefined ? undefined : Buffer.from(removed.bytes).toString("utf8")
}

/**
 * `message` without the fields `removals` ask to remove. `head` is the header block of the message as received
 * (for a message in memory, the whole message). The same object comes back when nothing matched.
 */
export const apply = (
  message: Message.Message,
  head: Uint8Array,
  removals: ReadonlyArray<HeaderEdits.Removal>
): Message.Message => {
  if (removals.length === 0) return message
  const data = editData(message.data, head, rulesFor(removals, "received"))
  const prepend = editPrepend(message.prepend, rulesFor(removals, "added"))
  if (data === undefined && prepend === undefined) return message
  return {
    headers: data === undefined ? message.headers : Headers.view(data.block),
    prepend: prepend ?? message.prepend,
    data: data?.data ?? message.data
  }
}
