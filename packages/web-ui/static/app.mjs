// The Cartero web UI: the mailboxes (like Mailpit) and the queue dashboard, on the operator HTTP API.
import { connect, useEventStatus } from "./events.mjs"
import { html } from "./html.mjs"
import { MailPage } from "./mail.mjs"
import { QueuePage } from "./queue.mjs"
import { href, useRoute } from "./route.mjs"
import { render } from "./vendor/preact.mjs"

const statusText = {
  connecting: "connecting…",
  live: "live",
  reconnecting: "reconnecting…",
  offline: "offline (retrying)"
}

const Header = ({ page }) => {
  const status = useEventStatus()
  return html`
    <header class="top">
      <a class="brand" href="#/mail">Cartero</a>
      <nav>
        <a href=${href("mail")} class=${page === "mail" ? "active" : ""}>Mail</a>
        <a href=${href("queue")} class=${page === "queue" ? "active" : ""}>Queue</a>
      </nav>
      <span class=${`live live-${status}`} data-testid="live-status" title="Live updates (server-sent events)">${statusText[status]}</span>
    </header>`
}

const App = () => {
  const route = useRoute()
  return html`
    <${Header} page=${route.page} />
    ${route.page === "queue"
      ? html`<${QueuePage} id=${route.id} />`
      : html`<${MailPage} mailbox=${route.mailbox} id=${route.id} />`}`
}

connect()
const root = document.getElementById("app")
root.textContent = ""
render(html`<${App} />`, root)
