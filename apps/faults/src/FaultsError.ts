/**
 * The one error of the fault matrix: something the harness itself could not do (start Redis, mount a file system,
 * build the app). A fault the *app* shows is never an error here: it is a result, reported in the scenario's row.
 *
 * @since 0.1.0
 */
import { Data } from "effect"

/** The harness could not build the world a scenario needs; `message` says what and why. */
export class FaultsError extends Data.TaggedError("FaultsError")<{ readonly message: string }> {}
