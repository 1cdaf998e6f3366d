/**
 * `@cartero/plugin-queue`: hands accepted messages for the recipients no other store took to the mail queue.
 *
 * @since 0.1.0
 */
export * as QueueHandoff from "./QueueHandoff.ts"
