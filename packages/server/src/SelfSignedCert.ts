/**
 * The development TLS pair: a self-signed certificate generated at first start and kept in the data directory, so
 * that STARTTLS and the submission port work out of the box and the certificate stays the same across restarts
 * (a client that pinned it once keeps working).
 *
 * Generated with the `openssl` command line (RSA 2048, SHA-256, 825 days, SAN = hostname, localhost, 127.0.0.1).
 * Node's `crypto` can make key pairs but has no API to issue an X.509 certificate, and hand-rolling ASN.1 for a dev
 * convenience is not worth its risk; without `openssl` start-up fails with a message saying to configure
 * `CARTERO_TLS_CERT`/`CARTERO_TLS_KEY`. See docs/decisions/self-signed-dev-cert.md.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { execFile } from "node:child_process"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { SmtpServerError } from "./ServerError.ts"

/** Paths of the pair inside a data directory. */
export const paths = (dataDir: string) => ({
  dir: path.join(dataDir, "tls"),
  key: path.join(dataDir, "tls", "selfsigned-key.pem"),
  cert: path.join(dataDir, "tls", "selfsigned-cert.pem")
})

const exists = (file: string) =>
  Effect.promise(() => fs.access(file).then(() => true, () => false))

const safeName = (hostname: string): string => (/^[A-Za-z0-9.-]{1,253}$/.test(hostname) ? hostname : "localhost")

const openssl = (args: ReadonlyArray<string>) =>
  Effect.callback<void, SmtpServerError>((resume) => {
    execFile("openssl", [...args], { timeout: 30_000 }, (error, _stdout, stderr) => {
      if (error === null) resume(Effect.void)
      else {
        resume(Effect.fail(
          new SmtpServerError({
            reason: "SelfSignedCert",
            message: `cannot generate the development certificate with openssl (${
              String(stderr).trim() || error.message
            }); install openssl or set CARTERO_TLS_CERT and CARTERO_TLS_KEY`,
            cause: error
          })
        ))
      }
    })
  })

/**
 * Returns the PEM key and certificate kept in `<dataDir>/tls/`, generating them first if either is missing. The key
 * file is created with mode 0600.
 */
export const ensure = Effect.fn("SelfSignedCert.ensure")(function*(dataDir: string, hostname: string) {
  const p = paths(dataDir)
  if (!((yield* exists(p.key)) && (yield* exists(p.cert)))) {
    yield* Effect.tryPromise({
      try: () => fs.mkdir(p.dir, { recursive: true, mode: 0o700 }),
      catch: (cause) => new SmtpServerError({ reason: "SelfSignedCert", message: `cannot create ${p.dir}`, cause })
    })
    const name = safeName(hostname)
    yield* openssl([
      "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "825",
      "-keyout", p.key, "-out", p.cert,
      "-subj", `/CN=${name}`,
      "-addext", `subjectAltName=DNS:${name},DNS:localhost,IP:127.0.0.1`
    ])
    yield* Effect.promise(() => fs.chmod(p.key, 0o600).catch(() => undefined))
    yield* Effect.logWarning(`generated a self-signed development certificate in ${p.dir}; configure a real one for production`)
  }
  const [key, cert] = yield* Effect.tryPromise({
    try: () => Promise.all([fs.readFile(p.key), fs.readFile(p.cert)]),
    catch: (cause) => new SmtpServerError({ reason: "SelfSignedCert", message: `cannot read ${p.dir}`, cause })
  })
  return { key, cert }
})
