/**
 * The Redis key layout.
 *
 * Messages are spread over `shards` (hash of the id). Every key of a shard — its indexes and its messages'
 * records and bodies — carries the same hash tag `{s<n>}`, so in Redis Cluster one shard lives in one slot and each
 * Lua script touches one slot only (no CROSSSLOT), while different shards spread over the cluster's nodes.
 *
 * ```
 * <prefix>{s<n>}:due        zset  "<id>:<domain>" → earliest next attempt of the group's waiting recipients
 * <prefix>{s<n>}:leases     zset  "<id>:<token>"  → lease expiry
 * <prefix>{s<n>}:msgs       zset  "<id>"          → arrival (listing, oldest)
 * <prefix>{s<n>}:done       zset  "<id>"          → finish time of messages kept for inspection
 * <prefix>{s<n>}:stats      hash  state → recipient count, "messages" → message count, "events" → notifications
 * <prefix>{s<n>}:m:<id>     hash  the message record (see Scripts.ts)
 * <prefix>{s<n>}:b:<id>     string the body (binary)
 * <prefix>{s<n>}:tmp:<id>   string a large body being streamed in (expires if the enqueue never commits)
 * <prefix>notify            pub/sub channel: "work may be due" (message "e<n>": the shard's event number)
 * ```
 *
 * @since 0.1.0
 */

/** Key prefixes may only use these characters: no braces (they would change the hash slot), no spaces. */
export const isValidPrefix = (prefix: string): boolean => /^[A-Za-z0-9:_.-]{0,64}$/.test(prefix)

/** Keys of one shard. */
export interface ShardKeys {
  readonly base: string
  readonly due: string
  readonly leases: string
  readonly msgs: string
  readonly done: string
  readonly stats: string
  readonly message: (id: string) => string
  readonly body: (id: string) => string
  readonly staging: (id: string) => string
}

/** The keys of shard `n`. */
export const shard = (prefix: string, n: number): ShardKeys => {
  const base = `${prefix}{s${n}}:`
  return {
    base,
    due: `${base}due`,
    leases: `${base}leases`,
    msgs: `${base}msgs`,
    done: `${base}done`,
    stats: `${base}stats`,
    message: (id) => `${base}m:${id}`,
    body: (id) => `${base}b:${id}`,
    staging: (id) => `${base}tmp:${id}`
  }
}

/** The notification channel. */
export const channel = (prefix: string): string => `${prefix}notify`

/** Which shard a message id belongs to (FNV-1a over the id). */
export const shardOf = (id: string, shards: number): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h % shards
}

const crcTable = (() => {
  const t: Array<number> = []
  for (let i = 0; i < 256; i++) {
    let c = i << 8
    for (let j = 0; j < 8; j++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff
    t.push(c)
  }
  return t
})()

/** The Redis Cluster hash slot of a key (CRC16/XMODEM of the hash tag, mod 16384), for tests and diagnostics. */
export const slotOf = (key: string): number => {
  const open = key.indexOf("{")
  let tagged = key
  if (open >= 0) {
    const close = key.indexOf("}", open + 1)
    if (close > open + 1) tagged = key.slice(open + 1, close)
  }
  let crc = 0
  for (const byte of Buffer.from(tagged)) crc = ((crc << 8) & 0xffff) ^ (crcTable[((crc >> 8) ^ byte) & 0xff] ?? 0)
  return crc % 16384
}
