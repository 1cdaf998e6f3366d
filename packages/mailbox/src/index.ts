/**
 * `@cartero/mailbox`: read the Maildirs the maildir plugin writes, for the HTTP API and the web UI: mailboxes,
 * paged and searched summaries, message views with sanitised HTML, parts, flags, deletion and change events.
 *
 * @since 0.1.0
 */
export * as Changes from "./Changes.ts"
export * as Content from "./Content.ts"
export * as Folder from "./Folder.ts"
export * as MailboxError from "./MailboxError.ts"
export * as Mailboxes from "./Mailboxes.ts"
export * as Names from "./Names.ts"
export * as Sanitise from "./Sanitise.ts"
export * as Search from "./Search.ts"
