// Hash routing: #/mail, #/mail/<mailbox>, #/mail/<mailbox>/<id>, #/queue, #/queue/<id>. The hash keeps the server
// side to one page and makes every view linkable.
import { useEffect, useState } from "./vendor/hooks.mjs"

const parse = (hash) => {
  const parts = hash.replace(/^#\/?/, "").split("/").map((p) => {
    try {
      return decodeURIComponent(p)
    } catch {
      return ""
    }
  })
  const [page, a, b] = parts
  if (page === "queue") return { page: "queue", id: a || undefined }
  return { page: "mail", mailbox: a || undefined, id: b || undefined }
}

/** The link of a view. */
export const href = (...parts) => `#/${parts.filter((p) => p !== undefined).map(encodeURIComponent).join("/")}`

/** Goes to a view; `replace` does not add a history entry. */
export const navigate = (link, { replace = false } = {}) => {
  if (replace) history.replaceState(null, "", link)
  else history.pushState(null, "", link)
  dispatchEvent(new HashChangeEvent("hashchange"))
}

/** The current view, updated on navigation. */
export const useRoute = () => {
  const [route, setRoute] = useState(() => parse(location.hash))
  useEffect(() => {
    const update = () => setRoute(parse(location.hash))
    addEventListener("hashchange", update)
    return () => removeEventListener("hashchange", update)
  }, [])
  return route
}
