/**
 * Prints a users-file line for a new password:
 *
 * ```
 * $ pnpm --silent --filter @cartero/plugin-auth hash-password alice@example.test >> data/users
 * Password for alice@example.test (one line on stdin):
 * ```
 *
 * The password is the first line of stdin, so it never appears in the process list or the shell history (an
 * argument would). It is not hidden while typed on a terminal; pipe it in from a password manager to avoid that.
 * Output: `alice@example.test:scrypt$16384$8$1$<salt>$<key>` on stdout, prompts and errors on stderr.
 *
 * @since 0.1.0
 */
import { Data, Effect } from "effect"
import { hashPassword } from "./Auth.ts"
import { foldName } from "./Users.ts"

/** A usage or input problem, printed to stderr (exit code 1). */
class HashPasswordError extends Data.TaggedError("HashPasswordError")<{ readonly message: string }> {}

const usage = "usage: hash-password <user>   (the password is read from the first line of stdin)"

const readFirstLine = Effect.callback<string>((resume) => {
  let text = ""
  const done = () => {
    process.stdin.off("data", onData)
    process.stdin.off("end", done)
    process.stdin.pause()
    resume(Effect.succeed(text.split("\n")[0]?.replace(/\r$/, "") ?? ""))
  }
  const onData = (chunk: Buffer) => {
    text += chunk.toString("utf8")
    if (text.includes("\n")) done()
  }
  process.stdin.on("data", onData)
  process.stdin.on("end", done)
})

const main = Effect.gen(function*() {
  const [user, ...rest] = process.argv.slice(2)
  if (user === undefined || rest.length > 0 || foldName(user) === undefined) {
    return yield* new HashPasswordError({ message: `${usage}\n<user> is an email address or a plain name ([A-Za-z0-9._+-])` })
  }
  if (process.stdin.isTTY) process.stderr.write(`Password for ${user} (one line on stdin): `)
  const password = yield* readFirstLine
  if (password === "") return yield* new HashPasswordError({ message: "empty password: nothing written" })
  const hash = yield* hashPassword(password)
  process.stdout.write(`${user}:${hash}\n`)
})

Effect.runPromise(main.pipe(Effect.match({
  onFailure: (error) => {
    process.stderr.write(`hash-password: ${error.message}\n`)
    process.exitCode = 1
  },
  onSuccess: () => undefined
})))
