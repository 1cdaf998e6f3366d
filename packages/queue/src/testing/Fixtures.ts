/**
 * Helpers for the conformance suite and for store tests: envelopes, bodies, replies and a runner that gives each
 * test a fresh store behind a `MailQueue`.
 *
 * @since 0.1.0
 */
import { Envelope, SmtpReply } from "@cartero/smtp"
import { Duration, Effect, Fiber, Layer, Stream } from "effect"
import { TestClock } from "effect/testing"
import type { Scope } from "effect"
import * as MailQueue from "../MailQueue.ts"
import type { QueueStore } from "../QueueStore.ts"
import type { Tamper } from "./Tamper.ts"

/** A store layer under test; built afresh for every test. */
export type StoreLayer = Layer.Layer<QueueStore, unknown>

/** A store layer under test with its tamper hook over the same instance: what the conformance suite runs on. */
export type TamperableStore = Layer.Layer<QueueStore | Tamper, unknown>

/** Runs `body` with a `MailQueue` over a fresh instance of `store` (and whatever else the layer provides). */
export const withQueue = <R = never>(store: Layer.Layer<QueueStore | R, unknown>, options: MailQueue.Options = {}) =>
<A, E>(body: Effect.Effect<A, E, MailQueue.MailQueue | QueueStore | R | Scope.Scope>) =>
  body.pipe(Effect.provide(Layer.effect(MailQueue.MailQueue, MailQueue.make(options)).pipe(Layer.provideMerge(store))))

/** A recipient from `local@domain` (split at the last `@`, so the local part may contain anything). */
export const rcpt = (address: string): Envelope.Recipient => {
  const at = address.lastIndexOf("@")
  return { address: { localPart: address.slice(0, at), domain: address.slice(at + 1) } }
}

/** An envelope from a sender (or `null`) and recipient addresses. */
export const envelope = (from: string | null, ...to: ReadonlyArray<string>): Envelope.Envelope =>
  Envelope.make(from === null ? null : rcpt(from).address, to.map(rcpt))

/** UTF-8 bytes. */
export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)

/** A deterministic binary body of `size` bytes covering every byte value. */
export const binaryBody = (size: number): Uint8Array => {
  const out = new Uint8Array(size)
  for (let i = 0; i < size; i++) out[i] = (i * 31 + (i >> 8)) & 0xff
  return out
}

/** `body` cut into chunks of `size` bytes, as a stream (as the SMTP server would pass it). */
export const chunked = (body: Uint8Array, size: number): Stream.Stream<Uint8Array> => {
  const parts: Array<Uint8Array> = []
  for (let i = 0; i < body.length; i += size) parts.push(body.subarray(i, i + size))
  return Stream.fromIterable(parts)
}

/** Concatenates a body stream. */
export const collect = <E, R>(body: Stream.Stream<Uint8Array, E, R>): Effect.Effect<Uint8Array, E, R> =>
  Effect.map(Stream.runCollect(body), (chunks) => {
    const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0))
    let at = 0
    for (const c of chunks) {
      out.set(c, at)
      at += c.byteLength
    }
    return out
  })

/** Replies used by the tests. */
export const ok = SmtpReply.make(250, "2.0.0", "Ok: queued as 12345")
export const tempFail = SmtpReply.make(451, "4.4.1", "Try again later")
export const permFail = SmtpReply.make(550, "5.1.1", "No such user")

/**
 * Advances `TestClock` by `step` until `fiber` finishes (at most `rounds` times), letting real I/O run in between.
 * Stores with a network round trip (Redis) may register their timer after a single adjustment has passed.
 */
export const adjustUntilDone = <A, E>(fiber: Fiber.Fiber<A, E>, step: Duration.Input, rounds = 20): Effect.Effect<A, E> =>
  Effect.gen(function*() {
    for (let i = 0; i < rounds; i++) {
      yield* TestClock.adjust(step)
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 5)))
      if (fiber.pollUnsafe() !== undefined) break
    }
    return yield* Fiber.join(fiber)
  })
