/**
 * Password hashes in the form `scrypt$N$r$p$<salt base64>$<key base64>` (node:crypto scrypt, RFC 7914).
 *
 * scrypt is memory-hard, built into Node (no native add-on to build) and its parameters travel in the hash, so
 * stronger parameters can be introduced later without invalidating existing lines. Defaults: N=16384, r=8, p=1
 * (16 MiB, tens of milliseconds per check), 16-byte salt, 32-byte key. Keys are compared with `timingSafeEqual`.
 * Derivation runs on libuv's thread pool (async `scrypt`), so a login never blocks the event loop.
 *
 * Passwords are NFC-normalised before hashing: the same password typed on two systems that compose accents
 * differently must match (the idea of SASLprep, RFC 4013, without its tables).
 *
 * @since 0.1.0
 */
import { Data, Effect, Result } from "effect"
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto"

/** A parsed hash. */
export interface Hash {
  /** CPU/memory cost, a power of two. */
  readonly N: number
  /** Block size. */
  readonly r: number
  /** Parallelisation. */
  readonly p: number
  readonly salt: Uint8Array
  readonly key: Uint8Array
}

/** Parameters for new hashes. */
export interface Params {
  readonly N: number
  readonly r: number
  readonly p: number
  readonly saltLength: number
  readonly keyLength: number
}

/** The parameters of {@link hash} (OWASP's scrypt baseline is N=2^17; 2^14 keeps a login near 50 ms on small hosts). */
export const defaults: Params = { N: 16384, r: 8, p: 1, saltLength: 16, keyLength: 32 }

/** scrypt failed (in practice: out of memory). An infrastructure failure, answered 451 4.3.0 by the pipeline. */
export class ScryptError extends Data.TaggedError("ScryptError")<{ readonly cause: unknown }> {
  override get message(): string {
    return "scrypt key derivation failed"
  }
}

// Bounds that keep one check below a second and 256 MiB even with a typo in a hand-edited line.
const maxMemory = 256 * 1024 * 1024
const memoryOf = (N: number, r: number): number => 128 * N * r

const isPowerOfTwo = (n: number): boolean => Number.isSafeInteger(n) && n > 1 && (n & (n - 1)) === 0

const decimal = (s: string): number | undefined => (/^[1-9]\d{0,8}$/.test(s) ? Number(s) : undefined)

// Strict base64 (standard alphabet, padding optional) that round-trips, so no stray character is silently dropped.
const base64 = (s: string): Uint8Array | undefined => {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(s)) return undefined
  const bytes = Buffer.from(s, "base64")
  return bytes.toString("base64").replace(/=+$/, "") === s.replace(/=+$/, "") ? bytes : undefined
}

/**
 * Parses a hash. The error says what is wrong without repeating any part of the input: a hash file line is a
 * secret that must not end up in a log.
 */
export const parse = (text: string): Result.Result<Hash, string> => {
  const parts = text.split("$")
  if (parts.length !== 6 || parts[0] !== "scrypt") {
    return Result.fail("the hash is not of the form scrypt$N$r$p$salt$key")
  }
  const [, nText = "", rText = "", pText = "", saltText = "", keyText = ""] = parts
  const N = decimal(nText)
  const r = decimal(rText)
  const p = decimal(pText)
  if (N === undefined || !isPowerOfTwo(N) || N < 1024) return Result.fail("scrypt N must be a power of two >= 1024")
  if (r === undefined || r > 32) return Result.fail("scrypt r must be an integer 1-32")
  if (p === undefined || p > 16) return Result.fail("scrypt p must be an integer 1-16")
  if (memoryOf(N, r) > maxMemory) return Result.fail("scrypt N and r need more than 256 MiB (128 * N * r)")
  const salt = base64(saltText)
  if (salt === undefined || salt.length < 8) return Result.fail("the salt is not base64 of at least 8 bytes")
  const key = base64(keyText)
  if (key === undefined || key.length < 16 || key.length > 64) {
    return Result.fail("the key is not base64 of 16-64 bytes")
  }
  return Result.succeed({ N, r, p, salt, key })
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64").replace(/=+$/, "")

/** Renders a hash in the file syntax. */
export const format = (hash: Hash): string => `scrypt$${hash.N}$${hash.r}$${hash.p}$${b64(hash.salt)}$${b64(hash.key)}`

const derive = (password: string, salt: Uint8Array, keyLength: number, N: number, r: number, p: number) =>
  Effect.callback<Buffer, ScryptError>((resume) => {
    scrypt(
      password.normalize("NFC"),
      salt,
      keyLength,
      { N, r, p, maxmem: memoryOf(N, r) + 1024 * 1024 },
      (error, key) => resume(error === null ? Effect.succeed(key) : Effect.fail(new ScryptError({ cause: error })))
    )
  })

/** Hashes a password with fresh random salt, as a {@link Hash}. */
export const make = Effect.fn("PasswordHash.make")(function*(password: string, params: Params = defaults) {
  const salt = randomBytes(params.saltLength)
  const key = yield* derive(password, salt, params.keyLength, params.N, params.r, params.p)
  return { N: params.N, r: params.r, p: params.p, salt, key } satisfies Hash
})

/** Hashes a password with fresh random salt, in the file syntax (`scrypt$…`). */
export const hash = (password: string, params: Params = defaults): Effect.Effect<string, ScryptError> =>
  Effect.map(make(password, params), format)

/** Whether `password` matches `hash`: the key is derived with the hash's own parameters, compared in constant time. */
export const verify = Effect.fn("PasswordHash.verify")(function*(password: string, stored: Hash) {
  const key = yield* derive(password, stored.salt, stored.key.length, stored.N, stored.r, stored.p)
  return timingSafeEqual(key, stored.key)
})

/** The work of one check with these parameters, for comparing them (scrypt's cost grows with N·r·p). */
const work = (params: { readonly N: number; readonly r: number; readonly p: number }): number => params.N * params.r * params.p

/**
 * The parameters of the costliest of `hashes` (most work, then the longest key and salt), or {@link defaults} when
 * there are none: what the dummy hash of unknown users must cost so that no user answers slower than a stranger.
 */
export const strongest = (hashes: Iterable<Hash>): Params => {
  let best: Params | undefined
  for (const h of hashes) {
    const candidate: Params = { N: h.N, r: h.r, p: h.p, saltLength: h.salt.length, keyLength: h.key.length }
    if (
      best === undefined || work(candidate) > work(best) ||
      (work(candidate) === work(best) &&
        candidate.keyLength + candidate.saltLength > best.keyLength + best.saltLength)
    ) {
      best = candidate
    }
  }
  return best ?? defaults
}

/** Whether the hashes do not all cost the same work (users with cheaper ones answer faster than strangers). */
export const mixed = (hashes: Iterable<Hash>): boolean => new Set(Array.from(hashes, work)).size > 1

/**
 * A hash of a random password nobody knows, made with `params` (pass {@link strongest} of the users' hashes):
 * checked for unknown users so that an unknown name costs the same time as a wrong password, and the answer time
 * does not reveal who exists. With the defaults only, a user stored with a stronger N would answer measurably
 * slower than a stranger.
 */
export const dummy = (params: Params = defaults): Effect.Effect<Hash, ScryptError> =>
  Effect.suspend(() => make(randomBytes(32).toString("base64"), params))
