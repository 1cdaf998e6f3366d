// The queue dashboard: recipients by state, by destination domain, why deliveries are deferred, and the messages
// (filtered) with their actions: retry now, hold, release, delete, on one message or on every message the filter
// selects. Refreshed on the `queue` events of the live stream (and every few seconds while the stream is down).
import { query, queueMessagePath, request } from "./api.mjs"
import { useEvent, useEventStatus } from "./events.mjs"
import * as format from "./format.mjs"
import { html } from "./html.mjs"
import { useResource } from "./resource.mjs"
import { href, navigate } from "./route.mjs"
import { useCallback, useEffect, useRef, useState } from "./vendor/hooks.mjs"

const states = ["pending", "inflight", "deferred", "held", "delivered", "failed"]
const pollWhileOffline = 5000
const breakdownEvery = 3000

const emptyFilter = { state: "", domain: "", sender: "", recipient: "", olderThan: "" }

const ErrorLine = ({ error }) => (error ? html`<p class="error" role="alert">${error.message}</p>` : null)

const StateBadges = ({ counts }) =>
  states.filter((s) => (counts[s] ?? 0) > 0).map((s) => html`<span key=${s} class=${`state state-${s}`}>${s} ${counts[s]}</span>`)

const Stats = ({ stats }) => html`
  <section class="cards" aria-label="Queue statistics" data-testid="queue-stats">
    <div class="card"><span class="value" data-testid="stat-messages">${stats?.messages ?? "…"}</span><span class="label">messages</span></div>
    ${states.map((s) => html`
      <div class=${`card card-${s}`} key=${s}>
        <span class="value" data-testid=${`stat-${s}`}>${stats?.recipients?.[s] ?? 0}</span><span class="label">${s}</span>
      </div>`)}
    <div class="card"><span class="value">${stats?.oldestArrivedAt ? format.relative(stats.oldestArrivedAt) : "—"}</span><span class="label">oldest</span></div>
  </section>`

const Breakdown = ({ breakdown, onDomain }) => {
  if (breakdown === undefined) return null
  return html`
    <section class="breakdown">
      <div>
        <h3>By destination domain</h3>
        ${breakdown.domains.length === 0 ? html`<p class="muted">The queue is empty.</p>` : null}
        <table class="grid" data-testid="by-domain">
          <tbody>
            ${breakdown.domains.map((d) => html`
              <tr key=${d.domain}>
                <th><a href="#/queue" onClick=${(e) => {
                  e.preventDefault()
                  onDomain(d.domain)
                }}>${d.domain}</a></th>
                <td><${StateBadges} counts=${d.recipients} /></td>
              </tr>`)}
          </tbody>
        </table>
      </div>
      <div>
        <h3>Deferred: last replies</h3>
        ${breakdown.reasons.length === 0 ? html`<p class="muted">Nothing deferred.</p>` : null}
        <table class="grid" data-testid="reasons">
          <tbody>
            ${breakdown.reasons.map((r, i) => html`
              <tr key=${i}><td class="num">${r.recipients}</td><td><code>${r.reason}</code><div class="muted">${r.domains.join(", ")}</div></td></tr>`)}
          </tbody>
        </table>
        ${breakdown.truncated ? html`<p class="muted">From the first ${breakdown.scanned} messages.</p>` : null}
      </div>
    </section>`
}

const FilterForm = ({ filter, onApply }) => {
  const [draft, setDraft] = useState(filter)
  useEffect(() => setDraft(filter), [filter])
  const field = (name, placeholder) => html`
    <input name=${name} placeholder=${placeholder} aria-label=${name} value=${draft[name]}
      onInput=${(e) => setDraft({ ...draft, [name]: e.currentTarget.value })} />`
  return html`
    <form class="filter" onSubmit=${(e) => {
      e.preventDefault()
      onApply(draft)
    }}>
      <select name="state" aria-label="state" value=${draft.state} onChange=${(e) => setDraft({ ...draft, state: e.currentTarget.value })}>
        <option value="">any state</option>
        ${states.map((s) => html`<option key=${s} value=${s}>${s}</option>`)}
      </select>
      ${field("domain", "domain")} ${field("sender", "sender")} ${field("recipient", "recipient")}
      ${field("olderThan", "older than (30m, 2h)")}
      <button type="submit">Filter</button>
      <button type="button" onClick=${() => onApply(emptyFilter)}>Clear</button>
    </form>`
}

const BulkActions = ({ filter, count, onDone }) => {
  const [confirming, setConfirming] = useState(undefined)
  const [result, setResult] = useState(undefined)
  const filtered = Object.values(filter).some((v) => v !== "")
  const run = (action) =>
    request(`/api/queue/${action}${query(filtered ? filter : { all: "true" })}`, { method: "POST" }).then(
      (r) => {
        setConfirming(undefined)
        setResult({ text: `${action}: ${r.done.length} done${r.skipped.length > 0 ? `, ${r.skipped.length} skipped` : ""}` })
        onDone()
      },
      (error) => setResult({ error })
    )
  return html`
    <div class="bulk">
      <span class="muted">${filtered ? "Every message matching the filter:" : "Every queued message:"}</span>
      ${["retry", "hold", "release", "delete"].map((action) =>
        confirming === action
          ? html`<span class="confirm" key=${action}>${action} ${filtered ? "the matching messages" : "the whole queue"}?
              <button class=${action === "delete" ? "danger" : ""} onClick=${() => run(action)} data-testid=${`bulk-confirm-${action}`}>Yes, ${action}</button>
              <button onClick=${() => setConfirming(undefined)}>No</button></span>`
          : html`<button key=${action} disabled=${count === 0} class=${action === "delete" ? "danger" : ""}
              onClick=${() => setConfirming(action)} data-testid=${`bulk-${action}`}>${action} all</button>`
      )}
      ${result?.text ? html`<span class="muted" role="status">${result.text}</span>` : null}
      <${ErrorLine} error=${result?.error} />
    </div>`
}

/** `451 4.4.2 text`: the reply's text may already start with its enhanced code. */
const replyLine = (reply) => {
  const enhanced = reply.enhanced && !reply.text.startsWith(reply.enhanced) ? `${reply.enhanced} ` : ""
  return `${reply.code} ${enhanced}${reply.text}`
}

const rowActions = (message) => [
  "retry",
  message.held ? "release" : "hold",
  "delete"
]

const MessageRows = ({ items, selected, onAction }) => html`
  <table class="grid queue-list" data-testid="queue-list">
    <thead>
      <tr><th>id</th><th>arrived</th><th>sender</th><th>recipients</th><th>next attempt</th><th>size</th><th></th></tr>
    </thead>
    <tbody>
      ${items.map((m) => html`
        <tr key=${m.id} class=${m.id === selected ? "selected" : ""} data-testid="queue-row" data-id=${m.id}>
          <td><a href=${href("queue", m.id)} class="mono">${m.id}</a>${m.held ? html` <span class="state state-held">held</span>` : null}
            ${m.quarantine ? html` <span class="state state-failed" title=${m.quarantine}>quarantined</span>` : null}</td>
          <td title=${format.fullDate(m.arrivedAt)}>${format.relative(m.arrivedAt)}</td>
          <td>${m.sender}</td>
          <td><${StateBadges} counts=${m.states} /></td>
          <td>${m.nextAttemptAt ? format.relative(m.nextAttemptAt) : ""}</td>
          <td class="num">${format.size(m.size)}</td>
          <td class="row-actions">
            ${rowActions(m).map((a) => html`
              <button key=${a} class=${a === "delete" ? "danger" : ""} data-action=${a} onClick=${() => onAction(m.id, a)}>${a}</button>`)}
          </td>
        </tr>`)}
    </tbody>
  </table>`

const Detail = ({ id, version, onAction }) => {
  const detail = useResource(queueMessagePath(id))
  useEffect(() => {
    if (version > 0) detail.reload()
  }, [version])
  const m = detail.data
  return html`
    <section class="queue-detail" data-testid="queue-detail" aria-label="Queued message">
      <h3>Message <span class="mono">${id}</span>
        <a class="close" href=${href("queue")} aria-label="close">×</a></h3>
      ${detail.error && detail.error.status === 404 ? html`<p class="muted">No longer queued (delivered, bounced or deleted).</p>` : html`<${ErrorLine} error=${detail.error} />`}
      ${m === undefined ? null : html`
        <p>From <b>${m.sender}</b>, arrived ${format.fullDate(m.arrivedAt)}, ${format.size(m.size)}${m.held ? ", held" : ""}${m.quarantine ? `, quarantined: ${m.quarantine}` : ""}</p>
        <p class="mono muted">trace ${m.traceId}</p>
        <div class="actions">
          ${rowActions(m).map((a) => html`
            <button key=${a} class=${a === "delete" ? "danger" : ""} data-action=${a} onClick=${() => onAction(m.id, a)}>${a}</button>`)}
        </div>
        <table class="grid">
          <thead><tr><th>recipient</th><th>state</th><th>attempts</th><th>next attempt</th><th>last reply</th></tr></thead>
          <tbody>
            ${m.recipients.map((r) => html`
              <tr key=${r.index} data-testid="queue-recipient">
                <td>${r.address ?? `(domain ${r.domain})`}</td>
                <td><span class=${`state state-${r.state}`} data-testid="recipient-state">${r.state}</span></td>
                <td class="num">${r.attempts}</td>
                <td>${r.nextAttemptAt ? format.relative(r.nextAttemptAt) : ""}</td>
                <td>${r.lastReply ? html`<code>${replyLine(r.lastReply)}</code>` : ""}</td>
              </tr>`)}
          </tbody>
        </table>`}
    </section>`
}

/** The queue page; `id` is the message shown in detail, if any. */
export const QueuePage = ({ id }) => {
  const [filter, setFilter] = useState(emptyFilter)
  const [version, setVersion] = useState(0)
  const [actionError, setActionError] = useState(undefined)
  const stats = useResource("/api/queue/stats")
  const breakdown = useResource("/api/queue/breakdown")
  const list = useResource(`/api/queue/messages${query({ ...filter, limit: 200 })}`)
  const [live, setLive] = useState(undefined)
  // The breakdown reads up to 500 messages: on a busy queue it follows the events at most every few seconds.
  const breakdownTimer = useRef(undefined)
  const lastBreakdown = useRef(0)
  useEffect(() => () => clearTimeout(breakdownTimer.current), [])
  const reloadBreakdown = useCallback(() => {
    if (breakdownTimer.current !== undefined) return
    const wait = Math.max(0, lastBreakdown.current + breakdownEvery - Date.now())
    breakdownTimer.current = setTimeout(() => {
      breakdownTimer.current = undefined
      lastBreakdown.current = Date.now()
      breakdown.reload()
    }, wait)
  }, [breakdown.reload])
  const refresh = useCallback(() => {
    stats.reload()
    reloadBreakdown()
    list.reload()
    setVersion((v) => v + 1)
  }, [stats.reload, reloadBreakdown, list.reload])
  useEvent("queue", useCallback((data) => {
    setLive(data)
    refresh()
  }, [refresh]))
  const status = useEventStatus()
  useEffect(() => {
    if (status === "live") return undefined
    const timer = setInterval(refresh, pollWhileOffline)
    return () => clearInterval(timer)
  }, [status, refresh])
  const onAction = useCallback((messageId, action) => {
    setActionError(undefined)
    const done = request(action === "delete" ? queueMessagePath(messageId) : `${queueMessagePath(messageId)}/${action}`, {
      method: action === "delete" ? "DELETE" : "POST"
    })
    done.then(() => {
      if (action === "delete" && messageId === id) navigate(href("queue"))
      refresh()
    }, setActionError)
  }, [id, refresh])
  const items = list.data?.items ?? []
  return html`
    <main class="queue">
      <${Stats} stats=${stats.data ?? live} />
      <${ErrorLine} error=${stats.error ?? breakdown.error} />
      <${Breakdown} breakdown=${breakdown.data} onDomain=${(domain) => setFilter({ ...emptyFilter, domain })} />
      <section class="queue-messages">
        <h3>Messages</h3>
        <${FilterForm} filter=${filter} onApply=${setFilter} />
        <${BulkActions} filter=${filter} count=${items.length} onDone=${refresh} />
        <${ErrorLine} error=${list.error ?? actionError} />
        ${items.length === 0 && !list.loading ? html`<p class="muted">No queued message${Object.values(filter).some((v) => v !== "") ? " matches the filter" : ""}.</p>` : null}
        ${items.length > 0 ? html`<${MessageRows} items=${items} selected=${id} onAction=${onAction} />` : null}
        ${list.data?.next ? html`<p class="muted">Showing the first ${items.length}; narrow the filter to see others.</p>` : null}
      </section>
      ${id !== undefined ? html`<${Detail} id=${id} version=${version} onAction=${onAction} />` : null}
    </main>`
}
