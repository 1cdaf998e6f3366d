import { assert, describe, it } from "@effect/vitest"
import * as Cluster from "../src/Cluster.ts"

describe("CARTERO_PROCESSES", () => {
  it("defaults to one process and reads N", () => {
    assert.deepStrictEqual(Cluster.processes({}), { n: 1 })
    assert.deepStrictEqual(Cluster.processes({ CARTERO_PROCESSES: " " }), { n: 1 })
    assert.deepStrictEqual(Cluster.processes({ CARTERO_PROCESSES: "2", CARTERO_REDIS_URL: "redis://127.0.0.1:6379" }), { n: 2 })
  })

  it("refuses bad values and N > 1 without Redis", () => {
    assert.deepStrictEqual(Cluster.processes({ CARTERO_PROCESSES: "0" }), { error: "CARTERO_PROCESSES: expected an integer 1-64, got \"0\"" })
    assert.deepStrictEqual(Cluster.processes({ CARTERO_PROCESSES: "two" }), { error: "CARTERO_PROCESSES: expected an integer 1-64, got \"two\"" })
    const r = Cluster.processes({ CARTERO_PROCESSES: "2" })
    assert.isTrue("error" in r && r.error.startsWith("CARTERO_PROCESSES > 1 needs CARTERO_REDIS_URL"))
  })
})
