/** The app asks libuv for 8 threads unless the operator chose a size. */
import { assert, describe, it } from "@effect/vitest"
import * as ThreadPool from "../src/ThreadPool.ts"

describe("ThreadPool.configure", () => {
  it("sets UV_THREADPOOL_SIZE when it is unset or empty, and keeps the operator's value", () => {
    const unset: NodeJS.ProcessEnv = {}
    ThreadPool.configure(unset)
    assert.strictEqual(unset["UV_THREADPOOL_SIZE"], "8")
    const empty: NodeJS.ProcessEnv = { UV_THREADPOOL_SIZE: "" }
    ThreadPool.configure(empty)
    assert.strictEqual(empty["UV_THREADPOOL_SIZE"], "8")
    const chosen: NodeJS.ProcessEnv = { UV_THREADPOOL_SIZE: "32" }
    ThreadPool.configure(chosen)
    assert.strictEqual(chosen["UV_THREADPOOL_SIZE"], "32")
  })
})
