/**
 * One result row per scenario, as a table line or a JSON line.
 *
 * The columns answer the operator's questions about a fault: how much was offered (`sent`), how much the app took
 * responsibility for (`accepted`: a `250` to the end of DATA), how often clients had to try again (`retried`), how
 * much reached its destination once (`delivered`, unique ids), more than once (`duplicated`), and never, though it
 * was acknowledged (`lost`: accepted, not delivered within the scenario's bound). `notes` say what clients and
 * deliveries were told during the fault, how the harness made it, and where duplicates came from.
 *
 * @since 0.1.0
 */

export interface Row {
  readonly scenario: string
  /** The queue store (`sqlite`, `redis`), or where mail is stored (`maildir`). */
  readonly store: string
  readonly sent: number
  readonly accepted: number
  readonly retried: number
  readonly delivered: number
  readonly duplicated: number
  readonly lost: number
  readonly seconds: number
  readonly notes: ReadonlyArray<string>
  /** Details for JSON: duplicates by kind, refusals, what clients were told… */
  readonly details: Readonly<Record<string, number | string | boolean | null>>
}

const columns: ReadonlyArray<{ readonly title: string; readonly width: number; readonly cell: (r: Row) => string }> = [
  { title: "scenario", width: 18, cell: (r) => r.scenario },
  { title: "store", width: 8, cell: (r) => r.store },
  { title: "sent", width: 6, cell: (r) => String(r.sent) },
  { title: "accepted", width: 8, cell: (r) => String(r.accepted) },
  { title: "retried", width: 7, cell: (r) => String(r.retried) },
  { title: "delivered", width: 9, cell: (r) => String(r.delivered) },
  { title: "duplicated", width: 10, cell: (r) => String(r.duplicated) },
  { title: "lost", width: 5, cell: (r) => String(r.lost) },
  { title: "secs", width: 6, cell: (r) => r.seconds.toFixed(1) }
]

const pad = (text: string, width: number, left: boolean): string =>
  left ? text.padEnd(width) : text.padStart(width)

/** The table's header line. */
export const header = (): string => [...columns.map((c, i) => pad(c.title, c.width, i < 2)), "notes"].join(" ")

/** One table line; notes joined with ` | `. */
export const formatRow = (row: Row): string =>
  [...columns.map((c, i) => pad(c.cell(row), c.width, i < 2)), row.notes.join(" | ")].join(" ")

/** One JSON line. */
export const toJson = (row: Row): string => JSON.stringify(row)
