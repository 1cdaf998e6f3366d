// The mailboxes, like Mailpit: mailbox list, message list with search, and the message with its HTML (in a
// sandboxed frame, remote content blocked), text, headers, source and attachments. New mail appears live.
import { mailboxPath, messagePath, partPath, query, request } from "./api.mjs"
import { useEvent } from "./events.mjs"
import * as format from "./format.mjs"
import { html } from "./html.mjs"
import { useDebounced, useResource } from "./resource.mjs"
import { href, navigate } from "./route.mjs"
import { useCallback, useEffect, useState } from "./vendor/hooks.mjs"

const pageSize = 50
const maxListed = 500
/** Larger sources are offered as a download only. */
const maxSourceShown = 2 * 1024 * 1024

/** Reloads `reload` on every event of `types` for which `accept(data)` holds. */
const useReloadOn = (types, accept, reload) => {
  const handler = useCallback((data) => {
    if (accept(data)) reload()
  }, [accept, reload])
  for (const type of types) useEvent(type, handler)
}

const always = () => true

const ErrorLine = ({ error }) => (error ? html`<p class="error" role="alert">${error.message}</p>` : null)

const Mailboxes = ({ boxes, current }) => html`
  <aside class="mailboxes" aria-label="Mailboxes">
    <h2>Mailboxes</h2>
    ${boxes.length === 0 ? html`<p class="muted">No mail yet.</p>` : null}
    <ul>
      ${boxes.map((b) => html`
        <li key=${b.address}>
          <a href=${href("mail", b.address)} class=${b.address === current ? "selected" : ""} data-testid="mailbox" data-mailbox=${b.address}>
            <span class="address">${b.address}</span>
            ${b.unread > 0 ? html`<span class="badge" title="unread">${b.unread}</span>` : null}
            <span class="count">${b.messages}</span>
          </a>
        </li>`)}
    </ul>
  </aside>`

/** A paperclip (drawn: no emoji font is needed). */
const Clip = () => html`
  <svg class="clip" viewBox="0 0 16 16" width="12" height="12" role="img" aria-label="attachments">
    <path d="M10.5 4.5 5.6 9.4a1.4 1.4 0 0 0 2 2l5-5a2.8 2.8 0 0 0-4-4l-5 5a4.2 4.2 0 0 0 6 6l4.4-4.4"
      fill="none" stroke="currentColor" stroke-width="1.4" stroke-linecap="round" />
  </svg> `

const MessageRow = ({ mailbox, message, selected }) => html`
  <li key=${message.id}>
    <a href=${href("mail", mailbox, message.id)} data-testid="message-row" data-id=${message.id}
      class=${["row", selected ? "selected" : "", message.seen ? "" : "unread"].join(" ")}>
      <span class="from">${message.from}</span>
      <span class="when" title=${format.fullDate(message.date)}>${format.date(message.date)}</span>
      <span class="subject">${message.attachments > 0 ? html`<${Clip} />` : null}${message.subject || "(no subject)"}</span>
      <span class="snippet">${message.snippet}</span>
    </a>
  </li>`

const MessageList = ({ mailbox, selected, changes }) => {
  const [search, setSearch] = useState("")
  const [limit, setLimit] = useState(pageSize)
  const term = useDebounced(search, 250)
  useEffect(() => setLimit(pageSize), [mailbox, term])
  const list = useResource(`${mailboxPath(mailbox)}/messages${query({ search: term, limit })}`)
  const accept = useCallback((data) => data.mailbox === mailbox, [mailbox])
  useReloadOn(["mail", "mail-removed"], accept, list.reload)
  useEffect(() => {
    if (changes > 0) list.reload()
  }, [changes])
  const messages = list.data?.messages ?? []
  const total = list.data?.total ?? 0
  return html`
    <section class="messages" aria-label="Messages">
      <form class="search" role="search" onSubmit=${(e) => e.preventDefault()}>
        <input type="search" placeholder="Search: text, from:, to:, subject:, before:, after:" aria-label="Search"
          value=${search} onInput=${(e) => setSearch(e.currentTarget.value)} />
      </form>
      <p class="summary muted">${list.loading && list.data === undefined ? "Loading…" : `${total} message${total === 1 ? "" : "s"}`}</p>
      <${ErrorLine} error=${list.error} />
      <ul class="rows">
        ${messages.map((m) => html`<${MessageRow} key=${m.id} mailbox=${mailbox} message=${m} selected=${m.id === selected} />`)}
      </ul>
      ${messages.length < total && limit < maxListed
        ? html`<button class="more" onClick=${() => setLimit(Math.min(limit + pageSize, maxListed))}>Show more</button>`
        : null}
    </section>`
}

/** The sandboxed document of an HTML body: no script (no allow-scripts), no remote content (its own CSP). */
export const htmlDocument = (body, origin) => {
  const csp = [
    "default-src 'none'",
    `img-src ${origin} data:`,
    "style-src 'unsafe-inline'",
    "font-src data:",
    "form-action 'none'"
  ].join("; ")
  return `<!doctype html><html><head><meta charset="utf-8">` +
    `<meta http-equiv="Content-Security-Policy" content="${csp}">` +
    `<base target="_blank"><style>body{font-family:system-ui,sans-serif;margin:12px;color:#111;background:#fff}</style>` +
    `</head><body>${body}</body></html>`
}

const HtmlBody = ({ body }) => html`
  ${body.includes("data-blocked-src") ? html`<p class="notice" data-testid="remote-blocked">Remote images were blocked.</p>` : null}
  <iframe class="html-body" data-testid="html-body" title="HTML body"
    sandbox="allow-popups allow-popups-to-escape-sandbox" referrerpolicy="no-referrer"
    srcdoc=${htmlDocument(body, location.origin)}></iframe>`

const Headers = ({ headers }) => html`
  <table class="headers">
    <tbody>
      ${headers.map((h, i) => html`<tr key=${i}><th>${h.name}</th><td>${h.value}</td></tr>`)}
    </tbody>
  </table>`

const Source = ({ mailbox, id, size }) => {
  const [state, setState] = useState({ text: undefined, error: undefined })
  useEffect(() => {
    if (size > maxSourceShown) return undefined
    const controller = new AbortController()
    fetch(`${messagePath(mailbox, id)}/raw`, { signal: controller.signal })
      .then((r) => (r.ok ? r.text() : Promise.reject(new Error(`${r.status} ${r.statusText}`))))
      .then((text) => setState({ text, error: undefined }), (error) => {
        if (error.name !== "AbortError") setState({ text: undefined, error })
      })
    return () => controller.abort()
  }, [mailbox, id, size])
  if (size > maxSourceShown) return html`<p class="muted">The source is ${format.size(size)}: download it instead.</p>`
  return html`<${ErrorLine} error=${state.error} /><pre class="source" data-testid="source">${state.text ?? "Loading…"}</pre>`
}

const Attachments = ({ mailbox, id, parts }) => html`
  <ul class="attachments">
    ${parts.map((p) => html`
      <li key=${p.index}>
        <a href=${partPath(mailbox, id, p.index)} download=${p.filename ?? `part-${p.index}`} data-testid="attachment">
          ${p.filename ?? `part ${p.index}`}
        </a>
        <span class="muted"> ${p.contentType}, ${format.size(p.size)}</span>
      </li>`)}
  </ul>`

const tabsOf = (view) => {
  const attachments = view.parts.filter((p) => p.disposition === "attachment" || p.filename !== undefined)
  return [
    view.html !== undefined ? { key: "html", label: "HTML" } : undefined,
    view.text !== undefined ? { key: "text", label: "Text" } : undefined,
    { key: "headers", label: "Headers" },
    { key: "source", label: "Source" },
    attachments.length > 0 ? { key: "attachments", label: `Attachments (${attachments.length})`, attachments } : undefined
  ].filter((t) => t !== undefined)
}

const MessageView = ({ mailbox, id, onChange }) => {
  const view = useResource(messagePath(mailbox, id))
  const [tab, setTab] = useState(undefined)
  const [confirming, setConfirming] = useState(false)
  const [actionError, setActionError] = useState(undefined)
  useEffect(() => {
    setTab(undefined)
    setConfirming(false)
    setActionError(undefined)
  }, [mailbox, id])
  const data = view.data
  useEffect(() => {
    if (data !== undefined && data.id === id && !data.seen) {
      request(`${messagePath(mailbox, id)}/seen`, { method: "POST" }).then(onChange, setActionError)
    }
  }, [data])
  if (view.error) return html`<section class="message"><${ErrorLine} error=${view.error} /></section>`
  if (data === undefined) return html`<section class="message"><p class="muted">Loading…</p></section>`
  const tabs = tabsOf(data)
  const current = tabs.find((t) => t.key === tab) ?? tabs[0]
  const act = (path, method, after) =>
    request(path, { method }).then(after, setActionError)
  return html`
    <section class="message" aria-label="Message" data-testid="message-view">
      <header class="message-head">
        <h2 data-testid="message-subject">${data.subject || "(no subject)"}</h2>
        <dl>
          <dt>From</dt><dd>${data.from}</dd>
          <dt>To</dt><dd>${data.to.join(", ")}</dd>
          ${data.cc.length > 0 ? html`<dt>Cc</dt><dd>${data.cc.join(", ")}</dd>` : null}
          <dt>Date</dt><dd title=${data.date}>${format.fullDate(data.date)}</dd>
          <dt>Size</dt><dd>${format.size(data.size)}</dd>
        </dl>
        <div class="actions">
          <a class="button" href=${`${messagePath(mailbox, id)}/raw`} download=${`${id}.eml`}>Download .eml</a>
          <button onClick=${() => act(`${messagePath(mailbox, id)}/unseen`, "POST", onChange)}>Mark unread</button>
          ${confirming
            ? html`<span class="confirm">Delete this message?
                <button class="danger" onClick=${() => act(messagePath(mailbox, id), "DELETE", () => {
                  onChange()
                  navigate(href("mail", mailbox))
                })}>Delete</button>
                <button onClick=${() => setConfirming(false)}>Cancel</button></span>`
            : html`<button class="danger" onClick=${() => setConfirming(true)}>Delete</button>`}
        </div>
        <${ErrorLine} error=${actionError} />
      </header>
      <nav class="tabs" role="tablist">
        ${tabs.map((t) => html`
          <button role="tab" key=${t.key} aria-selected=${t === current} class=${t === current ? "active" : ""}
            onClick=${() => setTab(t.key)} data-tab=${t.key}>${t.label}</button>`)}
      </nav>
      <div class="tab-body" role="tabpanel">
        ${current.key === "html" ? html`<${HtmlBody} body=${data.html} />` : null}
        ${current.key === "text" ? html`<pre class="text" data-testid="text-body">${data.text}</pre>` : null}
        ${current.key === "headers" ? html`<${Headers} headers=${data.headers} />` : null}
        ${current.key === "source" ? html`<${Source} mailbox=${mailbox} id=${id} size=${data.size} />` : null}
        ${current.key === "attachments" ? html`<${Attachments} mailbox=${mailbox} id=${id} parts=${current.attachments} />` : null}
      </div>
    </section>`
}

/** The mail page: mailboxes, the chosen mailbox's messages, the chosen message. */
export const MailPage = ({ mailbox, id }) => {
  const boxes = useResource("/api/mailboxes")
  // Bumped after a change made here (seen, deleted), so the list reloads even without the event stream.
  const [changes, setChanges] = useState(0)
  useReloadOn(["mail", "mail-removed"], always, boxes.reload)
  const onChange = useCallback(() => {
    boxes.reload()
    setChanges((n) => n + 1)
  }, [boxes.reload])
  const list = boxes.data?.mailboxes ?? []
  useEffect(() => {
    const first = list[0]
    if (mailbox === undefined && first !== undefined) navigate(href("mail", first.address), { replace: true })
  }, [mailbox, list.length])
  return html`
    <main class="mail">
      <${Mailboxes} boxes=${list} current=${mailbox} />
      ${boxes.error ? html`<section class="messages"><${ErrorLine} error=${boxes.error} /></section>` : null}
      ${mailbox === undefined
        ? html`<section class="messages"><p class="muted">Mail delivered to a local mailbox shows up here as it arrives.</p></section>`
        : html`<${MessageList} mailbox=${mailbox} selected=${id} changes=${changes} />`}
      ${mailbox !== undefined && id !== undefined
        ? html`<${MessageView} mailbox=${mailbox} id=${id} onChange=${onChange} />`
        : html`<section class="message empty"><p class="muted">Select a message.</p></section>`}
    </main>`
}
