// Live updates: one EventSource on /api/events for the whole page, shared by every component that subscribes.
// The browser reconnects by itself after a dropped stream; when the server refused the stream (the EventSource is
// closed for good), this reconnects with a growing delay, so a restarted server is picked up again.
import { useEffect, useState } from "./vendor/hooks.mjs"

const types = ["mail", "mail-removed", "queue"]
const listeners = new Map(types.map((t) => [t, new Set()]))
const statusListeners = new Set()
let status = "connecting"
let source
let retryDelay = 1000

const setStatus = (next) => {
  if (next === status) return
  status = next
  for (const fn of statusListeners) fn(status)
}

const open = () => {
  source = new EventSource("/api/events")
  source.addEventListener("open", () => {
    retryDelay = 1000
    setStatus("live")
  })
  source.addEventListener("error", () => {
    if (source.readyState === EventSource.CLOSED) {
      setStatus("offline")
      source.close()
      setTimeout(open, retryDelay)
      retryDelay = Math.min(retryDelay * 2, 30_000)
    } else {
      setStatus("reconnecting")
    }
  })
  for (const type of types) {
    source.addEventListener(type, (event) => {
      let data
      try {
        data = JSON.parse(event.data)
      } catch {
        return
      }
      for (const fn of listeners.get(type)) fn(data)
    })
  }
}

/** Starts the stream (once). */
export const connect = () => {
  if (source === undefined) open()
}

/** Calls `fn(data)` for each event of `type` while the component is mounted. */
export const useEvent = (type, fn) => {
  useEffect(() => {
    const set = listeners.get(type)
    set.add(fn)
    return () => set.delete(fn)
  }, [type, fn])
}

/** The stream's state: "connecting", "live", "reconnecting" or "offline". */
export const useEventStatus = () => {
  const [current, setCurrent] = useState(status)
  useEffect(() => {
    statusListeners.add(setCurrent)
    setCurrent(status)
    return () => statusListeners.delete(setCurrent)
  }, [])
  return current
}
