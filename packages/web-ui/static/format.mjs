// Display helpers: sizes, dates, relative ages.

export const size = (bytes) => {
  if (typeof bytes !== "number" || !Number.isFinite(bytes)) return ""
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}

const pad = (n) => String(n).padStart(2, "0")

/** Local date and time, `2026-12-08 14:03`; today's mail shows the time only. */
export const date = (iso) => {
  if (!iso) return ""
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return ""
  const now = new Date()
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}`
  const sameDay = d.getFullYear() === now.getFullYear() && d.getMonth() === now.getMonth() && d.getDate() === now.getDate()
  return sameDay ? time : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`
}

/** Full local date and time, for titles. */
export const fullDate = (iso) => (iso ? new Date(iso).toLocaleString() : "")

/** `3 s`, `5 min`, `2 h`, `4 d` from a duration in ms (negative: 0). */
export const duration = (ms) => {
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.round(s / 60)} min`
  if (s < 86400) return `${Math.round(s / 3600)} h`
  return `${Math.round(s / 86400)} d`
}

/** `5 min ago` / `in 5 min` relative to now. */
export const relative = (iso) => {
  if (!iso) return ""
  const delta = new Date(iso).getTime() - Date.now()
  return delta >= 0 ? `in ${duration(delta)}` : `${duration(-delta)} ago`
}
