/**
 * libuv's thread pool size for the app, set before anything uses the pool: imported first by `main.ts`, for its
 * side effect only.
 *
 * The pool runs scrypt (the auth plugin's password checks) and the file system calls of the Maildir store alike.
 * Its default of 4 threads leaves little room once AUTH checks take two of them (the auth plugin's bound,
 * `maxConcurrentChecks`): 8 threads keep file writes and DNS look-ups (`dns.lookup`) moving during an AUTH flood
 * (measured with plugins/auth/bench/auth-flood.ts; docs/decisions/connection-and-session-limits.md). libuv reads
 * `UV_THREADPOOL_SIZE` once, when the pool is first used, so it must be set before any asynchronous file, crypto or
 * look-up call; an operator's own value is kept.
 *
 * @since 0.1.0
 */

/** The size the app asks for when the operator did not set one. */
export const defaultSize = 8

/** Sets `UV_THREADPOOL_SIZE` in `env` unless it is set (to anything but an empty string). */
export const configure = (env: NodeJS.ProcessEnv): void => {
  if (env["UV_THREADPOOL_SIZE"] === undefined || env["UV_THREADPOOL_SIZE"] === "") {
    env["UV_THREADPOOL_SIZE"] = String(defaultSize)
  }
}

configure(process.env)
