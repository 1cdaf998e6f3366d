// The HTTP API as the UI uses it: JSON in and out, errors as ApiError with the server's message. Credentials, when
// the server asks for them, are the browser's (basic auth, asked once for the page and reused for every request).

/** A failed request: HTTP status and the server's message (its JSON `message`, or the status text). */
export class ApiError extends Error {
  constructor(status, message) {
    super(message)
    this.status = status
  }
}

const messageOf = async (response) => {
  const text = await response.text().catch(() => "")
  try {
    const body = JSON.parse(text)
    if (body && typeof body.message === "string") return body.message
    if (body && typeof body._tag === "string") return body._tag
  } catch {
    // not JSON: the text itself, if short
  }
  return text !== "" && text.length < 300 ? text : `${response.status} ${response.statusText}`
}

/** A JSON request; resolves to the parsed body, rejects with ApiError. */
export const request = async (path, { method = "GET", signal } = {}) => {
  const response = await fetch(path, { method, signal, headers: { accept: "application/json" } })
  if (!response.ok) throw new ApiError(response.status, await messageOf(response))
  return response.status === 204 ? undefined : response.json()
}

/** A query string from the defined, non-empty values. */
export const query = (params) => {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== "")
  return entries.length === 0 ? "" : `?${new URLSearchParams(entries).toString()}`
}

/** Paths of the mailbox endpoints. */
export const mailboxPath = (mailbox) => `/api/mailboxes/${encodeURIComponent(mailbox)}`
export const messagePath = (mailbox, id) => `${mailboxPath(mailbox)}/messages/${encodeURIComponent(id)}`
export const partPath = (mailbox, id, index) => `${messagePath(mailbox, id)}/parts/${index}`

/** Paths of the queue endpoints. */
export const queueMessagePath = (id) => `/api/queue/messages/${encodeURIComponent(id)}`
