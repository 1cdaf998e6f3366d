/**
 * `@cartero/queue`: the mail queue. `MailQueue` is the service the SMTP server (enqueue), the delivery workers
 * (claim, renew, complete) and operators (list, show, retry, hold, release, delete, stats) use; `QueueStore` is
 * the contract its stores implement (memory here, SQLite and Redis in their own packages). The conformance suite
 * lives in `@cartero/queue/testing` so that this entry point never loads a test framework.
 *
 * @since 0.1.0
 */
export * as Claim from "./Claim.ts"
export * as Ids from "./Ids.ts"
export * as Listing from "./Listing.ts"
export * as MailQueue from "./MailQueue.ts"
export * as MemoryQueueStore from "./MemoryQueueStore.ts"
export * as QueueError from "./QueueError.ts"
export * as QueueRecord from "./QueueRecord.ts"
export * as QueueStore from "./QueueStore.ts"
export * as QueueViews from "./QueueViews.ts"
export * as QueuedMessage from "./QueuedMessage.ts"
export * as RecipientState from "./RecipientState.ts"
export * as StoredRecord from "./StoredRecord.ts"
