// Fetching JSON for a component: the last good data stays shown while a reload runs (no flicker on live updates),
// a superseded request is aborted, and errors are kept for display.
import { request } from "./api.mjs"
import { useCallback, useEffect, useState } from "./vendor/hooks.mjs"

/** GETs `path` (again when it changes or on `reload()`); `undefined` fetches nothing. */
export const useResource = (path) => {
  const [state, setState] = useState({ data: undefined, error: undefined, loading: path !== undefined, path })
  const [tick, setTick] = useState(0)
  useEffect(() => {
    if (path === undefined) {
      setState({ data: undefined, error: undefined, loading: false, path })
      return undefined
    }
    const controller = new AbortController()
    // Data of another path is not shown while this one loads.
    setState((s) => (s.path === path ? { ...s, loading: true } : { data: undefined, error: undefined, loading: true, path }))
    request(path, { signal: controller.signal }).then(
      (data) => setState({ data, error: undefined, loading: false, path }),
      (error) => {
        if (error.name !== "AbortError") setState((s) => ({ ...s, error, loading: false }))
      }
    )
    return () => controller.abort()
  }, [path, tick])
  const reload = useCallback(() => setTick((t) => t + 1), [])
  return { ...state, reload }
}

/** A value that follows `value` after `ms` without change (search boxes). */
export const useDebounced = (value, ms) => {
  const [current, setCurrent] = useState(value)
  useEffect(() => {
    const timer = setTimeout(() => setCurrent(value), ms)
    return () => clearTimeout(timer)
  }, [value, ms])
  return current
}
