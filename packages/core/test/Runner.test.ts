import { assert, describe, it } from "@effect/vitest"
import { Header, Verdict } from "@cartero/smtp"
import { Effect, Metric, Ref } from "effect"
import * as Plugin from "../src/Plugin.ts"
import * as PluginMetrics from "../src/PluginMetrics.ts"
import * as Runner from "../src/Runner.ts"

/** A hooks record of a made-up pipeline, to show the runner is not tied to the inbound phases. */
interface TestHooks {
  readonly decide?: (n: number) => Effect.Effect<Verdict.Continue | Verdict.Accept<number> | Verdict.Reject, unknown>
  readonly observe?: (n: number) => Effect.Effect<void, unknown>
  readonly collect?: (n: number) => Effect.Effect<ReadonlyArray<string>, unknown>
}
const make = Plugin.makeOf<TestHooks>(["decide", "observe", "collect"])

const built = (plugins: ReadonlyArray<Plugin.Plugin<never, never, TestHooks>>) =>
  Effect.scoped(Plugin.buildAll<TestHooks, typeof plugins>(plugins))

describe("Runner", () => {
  it.effect("decidedBy: names the plugin of each refusal, even when plugins share one verdict value", () =>
    Effect.gen(function*() {
      const shared = Verdict.reject("5.7.1", "no")
      const entries = yield* built([
        make("a", Effect.succeed({ decide: (n) => Effect.succeed(n === 1 ? shared : Verdict.next) })),
        make("b", Effect.succeed({ decide: (n) => n === 3 ? Effect.fail("down") : Effect.succeed(shared) }))
      ])
      const byA = yield* Runner.decide(entries, "decide", (hooks) => hooks.decide?.(1), undefined)
      const byB = yield* Runner.decide(entries, "decide", (hooks) => hooks.decide?.(2), undefined)
      const failed = yield* Runner.decide(entries, "decide", (hooks) => hooks.decide?.(3), Verdict.reject("5.3.0", "failed"))
      assert.deepStrictEqual([byA, byB], [shared, shared])
      assert.deepStrictEqual([Runner.decidedBy(byA), Runner.decidedBy(byB), Runner.decidedBy(failed)], ["a", "b", "b"])
      assert.strictEqual(Runner.decidedBy(shared), undefined)
    }))

  it.effect("decide: first non-Continue wins, Accept carries the phase's value and the headers before it", () =>
    Effect.gen(function*() {
      const h = Header.make("X-Seen", "1")
      const entries = yield* built([
        make("a", Effect.succeed({ decide: () => Effect.succeed(Verdict.continueWith([h])) })),
        make("b", Effect.succeed({ decide: (n) => Effect.succeed(Verdict.acceptWith(n * 2)) })),
        make("c", Effect.succeed({ decide: () => Effect.die("not asked") }))
      ])
      const v = yield* Runner.decide(entries, "decide", (hooks) => hooks.decide?.(21), undefined)
      assert.deepStrictEqual(v, { _tag: "Accept", reply: undefined, headers: [h], value: 42 })
    }))

  it.effect("decide: without an onFailure verdict a failing hook counts as Continue; with one, it answers", () =>
    Effect.gen(function*() {
      const entries = yield* built([
        make("broken", Effect.succeed({ decide: () => Effect.fail("down") })),
        make("next", Effect.succeed({ decide: () => Effect.succeed(Verdict.reject("5.7.1", "no")) }))
      ])
      const skipped = yield* Runner.decide(entries, "decide", (hooks) => hooks.decide?.(1), undefined)
      assert.strictEqual(skipped._tag, "Reject")
      const answered = yield* Runner.decide(entries, "decide", (hooks) => hooks.decide?.(1), Verdict.acceptWith(0))
      assert.deepStrictEqual(answered._tag === "Accept" ? answered.value : undefined, 0)
    }))

  it.effect("observe: every hook runs, failures are ignored", () =>
    Effect.gen(function*() {
      const seen = yield* Ref.make<ReadonlyArray<string>>([])
      const entries = yield* built([
        make("a", Effect.succeed({ observe: () => Ref.update(seen, (s) => [...s, "a"]) })),
        make("b", Effect.succeed({ observe: () => Effect.fail("x") })),
        make("c", Effect.succeed({ observe: () => Ref.update(seen, (s) => [...s, "c"]) }))
      ])
      yield* Runner.observe(entries, "observe", (hooks) => hooks.observe?.(1))
      assert.deepStrictEqual(yield* Ref.get(seen), ["a", "c"])
    }))

  it.effect("collect: items of every hook in plugin order; a failing hook fails the phase", () =>
    Effect.gen(function*() {
      const ok = yield* built([
        make("a", Effect.succeed({ collect: (n) => Effect.succeed([`a${n}`]) })),
        make("none", Effect.succeed({})),
        make("b", Effect.succeed({ collect: (n) => Effect.succeed([`b${n}`, `b${n + 1}`]) }))
      ])
      assert.deepStrictEqual(yield* Runner.collect(ok, "collect", (hooks) => hooks.collect?.(1)), ["a1", "b1", "b2"])
      const broken = yield* built([
        make("a", Effect.succeed({ collect: () => Effect.succeed(["a"]) })),
        make("b", Effect.succeed({ collect: () => Effect.die("bug") }))
      ])
      const failed = yield* Effect.flip(Runner.collect(broken, "collect", (hooks) => hooks.collect?.(1)))
      assert.strictEqual(failed, "HookFailed")
    }))

  it.effect("metrics: every hook call is counted by what it answered, and timed, in each of the three shapes", () =>
    Effect.gen(function*() {
      const a = make("a", Effect.succeed({
        decide: (n) => n === 0 ? Effect.fail("down") : Effect.succeed(n === 1 ? Verdict.reject("5.7.1", "no") : Verdict.next),
        observe: (n) => n === 0 ? Effect.die("broken") : Effect.void,
        collect: () => Effect.succeed(["x"])
      }))
      const b = make("b", Effect.succeed({ decide: () => Effect.succeed(Verdict.acceptWith(7)) }))
      const entries = yield* built([a, b])
      yield* Runner.decide(entries, "decide", (hooks) => hooks.decide?.(0), undefined)
      yield* Runner.decide(entries, "decide", (hooks) => hooks.decide?.(1), undefined)
      yield* Runner.decide(entries, "decide", (hooks) => hooks.decide?.(2), undefined)
      yield* Runner.observe(entries, "observe", (hooks) => hooks.observe?.(0))
      yield* Runner.observe(entries, "observe", (hooks) => hooks.observe?.(1))
      yield* Runner.collect(entries, "collect", (hooks) => hooks.collect?.(0))
      const count = (plugin: { readonly name: string }, phase: string, outcome: PluginMetrics.Outcome) =>
        Effect.map(Metric.value(PluginMetrics.of(plugin, phase).verdicts[outcome]), (s) => s.count)
      assert.deepStrictEqual(
        yield* Effect.all([
          count(a, "decide", "Failed"),
          count(a, "decide", "Reject"),
          count(a, "decide", "Continue"),
          count(b, "decide", "Accept"),
          count(a, "observe", "Failed"),
          count(a, "observe", "Continue"),
          count(a, "collect", "Continue"),
          // b has no observe hook: nothing counted
          count(b, "observe", "Continue")
        ]),
        [1, 1, 1, 2, 1, 1, 1, 0]
      )
      const latency = yield* Metric.value(PluginMetrics.of(a, "decide").latency)
      assert.strictEqual(latency.count, 3)
      assert.isAtLeast(latency.min, 0)
    }).pipe(Effect.provideService(Metric.MetricRegistry, new Map())))
})
