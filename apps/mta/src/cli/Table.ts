/**
 * Plain-text tables for the CLI: a header row, columns padded to their widest cell, numbers aligned right.
 *
 * Cells are made safe for a terminal first: queue content comes from strangers (a local part may hold any
 * printable text, a remote reply was written by a remote server), so control characters are shown as `\xNN`
 * instead of being written raw — they could otherwise move the cursor, recolour the screen or fake extra rows.
 *
 * @since 0.1.0
 */

/** A column: its header and how its cells align. */
export interface Column {
  readonly header: string
  readonly align?: "left" | "right" | undefined
}

/** Replaces C0/C1 control characters and DEL by `\xNN`. */
export const safe = (text: string): string =>
  text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`)

/** Renders rows under their headers, two spaces between columns, without trailing spaces. */
export const render = (columns: ReadonlyArray<Column>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const cells = [columns.map((c) => c.header), ...rows.map((row) => columns.map((_, i) => safe(row[i] ?? "")))]
  const widths = columns.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? "").length)))
  return cells
    .map((row) =>
      row
        .map((cell, i) => {
          const width = widths[i] ?? 0
          return columns[i]?.align === "right" ? cell.padStart(width) : cell.padEnd(width)
        })
        .join("  ")
        .trimEnd()
    )
    .join("\n")
}
