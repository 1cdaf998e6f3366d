/**
 * PROXY protocol (v1 and v2) on a listener: the header a load balancer sends first is read here, before
 * smtp-server sees the socket, and the real client's address it carries becomes the connection's
 * `remoteAddress`/`remotePort`. Everything downstream (per-client limits, relay rules, logs, `Received:`) then sees
 * the real client, because smtp-server builds the connection from those options (docs/decisions/proxy-protocol.md).
 *
 * smtp-server's own `useProxy` reads v1 only, so its two accept hooks are replaced on the listener's instance:
 * `_expectsProxyHeader` (every socket of the listener is guarded until its session starts: it counts against
 * `maxClients` and has smtp-server's socket timeout) and `_handleProxy` (ours: trust check, bounded read, parse,
 * the bytes after the header pushed back with `unshift`).
 *
 * - a peer outside the trusted proxies is closed at once, nothing written (its connection never was SMTP: a
 *   banner would invite a client that bypasses the balancer to go on as if it were the balancer);
 * - a trusted peer that sends an invalid header, too many bytes, or nothing complete within the timeout is closed
 *   without a banner;
 * - a v2 LOCAL header (the balancer's health check) or one without a TCP address keeps the proxy's own address.
 *
 * Each case is logged at info level with the peer's address.
 *
 * @since 0.1.0
 */
import { Duration, Effect } from "effect"
import * as crypto from "node:crypto"
import type * as net from "node:net"
import type { SMTPServer } from "smtp-server"
import type { Bridge } from "./Bridge.ts"
import * as ProxyHeader from "./ProxyHeader.ts"
import type { ProxyTrust } from "./ProxyTrust.ts"

/** What smtp-server's `connect` takes for a new connection. */
interface SocketOptions {
  id: string
  remoteAddress?: string
  remotePort?: number
}

/** The two accept hooks of smtp-server (3.21) this module replaces; not in its type declarations. */
interface AcceptHooks {
  _expectsProxyHeader: (socket: net.Socket) => boolean
  _handleProxy: (socket: net.Socket, callback: (error: Error | null, options?: SocketOptions) => void) => void
}

/** The PROXY protocol settings of one listener. */
export interface ProxySettings {
  readonly trust: ProxyTrust
  /** How long a trusted proxy has to send the whole header. */
  readonly timeout: Duration.Duration
  readonly listener: string
}

/** smtp-server's connection id format (so ids look the same on every listener). */
const connectionId = (): string =>
  BigInt(`0x${crypto.randomBytes(10).toString("hex")}`).toString(32).padStart(16, "0")

/** Reads the PROXY header on every connection of `server`. */
export const install = (server: SMTPServer, settings: ProxySettings, bridge: Bridge): void => {
  const hooks = server as unknown as AcceptHooks
  hooks._expectsProxyHeader = () => true
  hooks._handleProxy = (socket, callback) => handle(socket, callback, settings, bridge)
}

const handle = (
  socket: net.Socket,
  callback: (error: Error | null, options?: SocketOptions) => void,
  settings: ProxySettings,
  bridge: Bridge
): void => {
  const id = connectionId()
  const peer = socket.remoteAddress ?? ""
  const log = (message: string, annotations: Record<string, unknown> = {}) =>
    bridge.fire(id, Effect.logInfo(message).pipe(Effect.annotateLogs({ listener: settings.listener, proxy: peer, ...annotations })))
  let finished = false
  let received = Buffer.alloc(0)

  const cleanup = () => {
    socket.removeListener("readable", onReadable)
    socket.removeListener("error", onEnded)
    socket.removeListener("end", onEnded)
    socket.removeListener("close", onEnded)
  }
  const refuse = (reason: string) => {
    if (finished) return
    finished = true
    cleanup()
    log("PROXY connection closed", { reason })
    // A late error on the dying socket must not become an uncaught exception.
    socket.on("error", () => undefined)
    socket.destroy()
    callback(new Error(reason))
  }
  const onEnded = () => refuse("connection ended before a complete PROXY header")
  const onReadable = () => {
    let chunk: unknown
    while (!finished && (chunk = socket.read()) !== null) {
      if (!Buffer.isBuffer(chunk)) return refuse("unexpected socket data")
      received = Buffer.concat([received, chunk])
      const parsed = ProxyHeader.parse(received)
      if (parsed._tag === "Invalid") return refuse(parsed.reason)
      if (parsed._tag === "Incomplete") {
        // Unreachable with a sound parser (it refuses past its bounds); kept so memory stays bounded whatever.
        if (received.length > ProxyHeader.maxV2Length) refuse("PROXY header too long")
        continue
      }
      finished = true
      cleanup()
      const rest = received.subarray(parsed.length)
      if (rest.length > 0) socket.unshift(rest)
      const source = parsed.header.source
      if (source === undefined) {
        log("PROXY header without a client address: the proxy's own is used", {
          version: parsed.header.version,
          command: parsed.header.command
        })
        return callback(null, { id })
      }
      bridge.fire(
        id,
        Effect.logDebug("PROXY header").pipe(
          Effect.annotateLogs({ listener: settings.listener, proxy: peer, client: source.address, version: parsed.header.version })
        )
      )
      return callback(null, { id, remoteAddress: source.address, remotePort: source.port })
    }
  }

  if (!settings.trust.allows(peer)) {
    finished = true
    log("connection from an untrusted address on a PROXY protocol listener: closed")
    socket.on("error", () => undefined)
    socket.destroy()
    return callback(new Error("untrusted PROXY peer"))
  }
  socket.on("readable", onReadable)
  socket.on("error", onEnded)
  socket.on("end", onEnded)
  socket.on("close", onEnded)
  // On the server's runtime, so the Effect clock drives it; a no-op once the header is in.
  bridge.fire(id, Effect.sleep(settings.timeout).pipe(Effect.andThen(Effect.sync(() => refuse("no complete PROXY header in time")))))
}

/** The default time a trusted proxy has to send its header. */
export const defaultTimeout = Duration.seconds(5)
