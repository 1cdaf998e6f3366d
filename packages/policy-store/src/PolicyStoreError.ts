/**
 * The one failure of a policy store: its backend could not be reached or answered nonsense. Plugins decide what
 * that means for mail (the bundled ones let mail through and log it: a limiter outage must not stop mail).
 *
 * @since 0.1.0
 */
import { Data } from "effect"

/** The backend failed; `operation` names what was attempted. */
export class PolicyStoreError extends Data.TaggedError("PolicyStoreError")<{
  readonly backend: "redis" | "sqlite" | "memory"
  readonly operation: string
  readonly cause: unknown
}> {
  override get message(): string {
    const detail = this.cause instanceof Error ? this.cause.message : String(this.cause)
    return `policy store (${this.backend}) ${this.operation} failed: ${detail}`
  }
}
