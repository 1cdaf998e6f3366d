/**
 * Nameserver addresses: `127.0.0.1:5353`, `[::1]:53`, `10.0.0.2` (port 53), or a comma list of these, the form of
 * `CARTERO_DNS_SERVERS`. Each server has its own port, unlike dns2's client which uses one port for all.
 *
 * @since 0.1.0
 */
import { Data } from "effect"
import * as net from "node:net"

/** One server to ask. `host` must be an IP literal: resolving the resolver would need a resolver. */
export interface Nameserver {
  readonly host: string
  readonly port: number
}

/** A nameserver list that cannot be used. */
export class NameserverError extends Data.TaggedError("NameserverError")<{ readonly input: string; readonly detail: string }> {
  override get message(): string {
    return `invalid nameserver ${JSON.stringify(this.input)}: ${this.detail}`
  }
}

/** Parses one `host[:port]` / `[v6][:port]` entry. */
export const parse = (input: string): Nameserver | NameserverError => {
  const s = input.trim()
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s) ?? (net.isIPv6(s) ? [s, s, undefined] : /^([^:]+)(?::(\d+))?$/.exec(s))
  const host = m?.[1]
  if (host === undefined || net.isIP(host) === 0) return new NameserverError({ input, detail: "expected an IP address, optionally :port" })
  const port = m?.[2] === undefined ? 53 : Number(m[2])
  if (!Number.isInteger(port) || port < 1 || port > 65535) return new NameserverError({ input, detail: "port out of range" })
  return { host, port }
}

/** Parses a comma (or whitespace) separated list; at least one entry. */
export const parseList = (input: string): ReadonlyArray<Nameserver> | NameserverError => {
  const entries = input.split(/[\s,]+/).filter((e) => e !== "")
  if (entries.length === 0) return new NameserverError({ input, detail: "no nameserver given" })
  const out: Array<Nameserver> = []
  for (const e of entries) {
    const parsed = parse(e)
    if (parsed instanceof NameserverError) return parsed
    out.push(parsed)
  }
  return out
}

/** `host:port`, bracketing IPv6. */
export const format = (ns: Nameserver): string => (net.isIPv6(ns.host) ? `[${ns.host}]:${ns.port}` : `${ns.host}:${ns.port}`)
