/**
 * A next hop that flaps: a TCP front on a fixed loopback port, in front of a counting `SmtpSink`, switched between
 *
 * - `refuse`: nothing listens (the front's listener is closed): connection refused;
 * - `421`: the sink greets with `421 4.3.2` and closes (its connect script);
 * - `silent`: the front accepts the TCP connection and says nothing. The app's client waits for a greeting for
 *   RFC 5321's 5 minutes (its greeting timeout is not a setting), so the front cuts these connections when the phase
 *   ends: to the client, a hung server whose connection then drops;
 * - `accept`: connections are passed through to the sink, which takes everything.
 *
 * Every switch cuts every connection through the front, as a host going down or restarting would, including pooled
 * ones and transactions in progress (a cut after the sink has the message but before its `250` reached the app is
 * the at-least-once window).
 *
 * @since 0.1.0
 */
import { SmtpSink } from "@cartero/testing"
import { Effect, type Scope } from "effect"
import * as net from "node:net"
import { FaultsError } from "./FaultsError.ts"

export type Mode = "refuse" | "421" | "silent" | "accept"

/** The modes in the order a flapping cycle visits them. */
export const cycle: ReadonlyArray<Mode> = ["refuse", "421", "silent", "accept"]

export interface FlappingNextHop {
  readonly port: number
  readonly mode: () => Mode
  /** Switches mode; every open connection is cut. */
  readonly set: (mode: Mode) => Effect.Effect<void, FaultsError>
  /** Connections the front accepted (all modes but `refuse`). */
  readonly connections: () => number
}

const listen = (server: net.Server, port: number): Promise<void> =>
  new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject)
      resolve()
    })
  })

/** A flapping front for `sink` (whose script is `base` when accepting), in `accept` mode; closed with the scope. */
export const make = (
  sink: SmtpSink.Service,
  base: SmtpSink.Options,
  port: number
): Effect.Effect<FlappingNextHop, FaultsError, Scope.Scope> =>
  Effect.gen(function*() {
    let mode: Mode = "accept"
    let server: net.Server | undefined
    let accepted = 0
    const open = new Set<net.Socket>()
    const cutAll = (): void => {
      for (const s of open) s.destroy()
      open.clear()
    }
    const track = (s: net.Socket): void => {
      open.add(s)
      s.on("close", () => open.delete(s))
      s.on("error", () => s.destroy())
    }
    const onConnection = (client: net.Socket): void => {
      accepted++
      track(client)
      if (mode === "silent") return
      const upstream = net.connect(sink.port, "127.0.0.1")
      track(upstream)
      client.on("close", () => upstream.destroy())
      upstream.on("close", () => client.destroy())
      client.pipe(upstream)
      upstream.pipe(client)
    }
    const start = Effect.tryPromise({
      try: async () => {
        const s = net.createServer(onConnection)
        // The port was just released by the previous listener; a few tries cover a slow close.
        for (let attempt = 0; ; attempt++) {
          try {
            await listen(s, port)
            break
          } catch (e) {
            if (attempt >= 20) throw e
            await new Promise((r) => setTimeout(r, 50))
          }
        }
        server = s
      },
      catch: (e) => new FaultsError({ message: `flapping next hop: cannot listen on 127.0.0.1:${port}: ${String(e)}` })
    })
    const stop = Effect.promise(() =>
      new Promise<void>((resolve) => {
        const s = server
        server = undefined
        cutAll()
        if (s === undefined) return resolve()
        s.close(() => resolve())
      })
    )
    yield* start
    yield* Effect.addFinalizer(() => stop)
    const refuse421: SmtpSink.Options = {
      ...base,
      connect: () => SmtpSink.reply(421, "4.3.2 Service not available, closing transmission channel", { close: true })
    }
    return {
      port,
      mode: () => mode,
      connections: () => accepted,
      set: (next) =>
        Effect.gen(function*() {
          cutAll()
          if (next === "refuse" && server !== undefined) yield* stop
          if (next !== "refuse" && server === undefined) yield* start
          yield* sink.setScript(next === "421" ? refuse421 : base)
          mode = next
        })
    }
  })
