/**
 * `cartero users add|remove|list`: the users file of the submission listener (`@cartero/plugin-auth`'s format:
 * `user:hash[:alias,alias]` per line), at `CARTERO_AUTH_USERS_FILE`, else `<CARTERO_DATA_DIR>/users` (as the
 * server finds it). Users in `CARTERO_AUTH_USERS` (inline, for containers) are not the file's and are not shown.
 *
 * - `add <user> [--alias a@x,b@x] [--password-file PATH]`: the password is the first line of PATH, or of stdin
 *   (`-`, the default), so it never appears in the process list or the shell history. The hash is the plugin's
 *   (scrypt). An existing user is refused (remove it first). The file is created (mode 0600) when missing.
 * - `remove <user>`: drops the user's line; comments and other lines stay as they are.
 * - `list`: names and the addresses each may send as; never the hashes.
 *
 * Names are compared folded, as the plugin does (`Alice@Example.test` is `alice@example.test`). Every write
 * goes to a temporary file renamed over the users file, so the server never reads a half-written file.
 *
 * @since 0.1.0
 */
import { Auth, AuthConfig, Users } from "@cartero/plugin-auth"
import { Console, Effect, Option, Result, Schema } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as CliSettings from "./CliSettings.ts"

/** A users-file operation that cannot be done (its reason, for the operator). */
export class UsersFileError extends Schema.TaggedError<UsersFileError>()("UsersFileError", { problem: Schema.String }) {
  override get message(): string {
    return this.problem
  }
}

const json = Flag.Boolean("json").pipe(Flag.withDescription("Print JSON instead of text"), Flag.withDefault(false))

const fail = (problem: string) => Effect.fail(new UsersFileError({ problem }))

/** The users file the server reads. */
const usersFile = Effect.gen(function*() {
  const settings = yield* AuthConfig.config
  for (const source of settings.sources) if (source._tag === "File") return Path.resolve(source.path)
  return yield* fail("no users file is configured")
})

/** The file's lines (`[]` when it does not exist yet). */
const readLines = (path: string) =>
  Effect.try({
    try: () => (Fs.existsSync(path) ? Fs.readFileSync(path, "utf8").replace(/^\uFEFF/, "").split("\n") : []),
    catch: (cause) => new UsersFileError({ problem: `cannot read ${path}: ${cause instanceof Error ? cause.message : String(cause)}` })
  })

/** The users the file defines, checked as the server checks them. */
const parse = (path: string, lines: ReadonlyArray<string>) => {
  const users = Users.parseLines(lines, path)
  return Result.isSuccess(users) ? Effect.succeed(users.success) : fail(users.failure.message)
}

/** Writes `lines` to a temporary file beside `path` (0600) and renames it over `path`. */
const writeLines = (path: string, lines: ReadonlyArray<string>) =>
  Effect.try({
    try: () => {
      Fs.mkdirSync(Path.dirname(path), { recursive: true, mode: 0o700 })
      const staging = `${path}.${process.pid}.tmp`
      const text = lines.join("\n").replace(/\n*$/, "\n")
      Fs.writeFileSync(staging, text === "\n" ? "" : text, { mode: 0o600 })
      Fs.renameSync(staging, path)
    },
    catch: (cause) => new UsersFileError({ problem: `cannot write ${path}: ${cause instanceof Error ? cause.message : String(cause)}` })
  })

/** The first line of a file, or of stdin for `-`. */
const readPassword = (from: string) =>
  Effect.tryPromise({
    try: async () => {
      if (from !== "-") return Fs.readFileSync(from, "utf8").split("\n")[0]?.replace(/\r$/, "") ?? ""
      // At a terminal, say what is awaited (on stderr: stdout is for results). The password is not hidden as typed;
      // pipe it in from a password manager to avoid that.
      if (process.stdin.isTTY) process.stderr.write("Password (one line): ")
      let text = ""
      for await (const chunk of process.stdin) {
        text += String(chunk)
        if (text.includes("\n")) break
      }
      return text.split("\n")[0]?.replace(/\r$/, "") ?? ""
    },
    catch: (cause) => new UsersFileError({ problem: `cannot read the password: ${cause instanceof Error ? cause.message : String(cause)}` })
  })

const folded = (name: string) => {
  const f = Users.foldName(name)
  return f === undefined ? fail(`${JSON.stringify(name)} is neither an email address nor a plain name ([A-Za-z0-9._+-])`) : Effect.succeed(f)
}

const add = Command.make(
  "add",
  {
    user: Argument.String("user").pipe(Argument.withDescription("User name: an email address or a plain name")),
    alias: Flag.String("alias").pipe(Flag.withDescription("Addresses the user may also send as (comma-separated)"), Flag.optional),
    passwordFile: Flag.String("password-file").pipe(
      Flag.withDescription("Read the password from the first line of this file (- for stdin)"),
      Flag.withDefault("-")
    ),
    json
  },
  Effect.fn("cli.users.add")(function*(o) {
    const path = yield* usersFile
    const name = yield* folded(o.user)
    const lines = yield* readLines(path)
    const existing = (yield* parse(path, lines)).find((u) => u.name === name)
    if (existing !== undefined) return yield* fail(`user ${name} already exists (${path}:${existing.line}); remove it first`)
    const password = yield* readPassword(o.passwordFile)
    if (password === "") return yield* fail("empty password")
    const hash = yield* Auth.hashPassword(password).pipe(Effect.mapError((e) => new UsersFileError({ problem: `cannot hash the password: ${String(e.cause)}` })))
    const aliases = Option.match(o.alias, { onNone: () => "", onSome: (a) => `:${a.split(",").map((s) => s.trim()).filter((s) => s !== "").join(",")}` })
    const entry = `${name}:${hash}${aliases === ":" ? "" : aliases}`
    // Checked as the server will read it (an alias that is not an address is refused here, not at start-up).
    const user = Users.parseEntry(entry, "the new entry", 1)
    if (Result.isFailure(user)) return yield* fail(user.failure.detail)
    yield* writeLines(path, [...lines.filter((l, i) => !(i === lines.length - 1 && l === "")), entry])
    const view = { name, addresses: [...user.success.addresses], file: path }
    yield* Console.log(o.json ? JSON.stringify(view, null, 2) : `added ${name} to ${path}`)
  })
).pipe(Command.withDescription("Add a user (password from --password-file, default stdin)"), Command.provide(CliSettings.layer))

const remove = Command.make(
  "remove",
  { user: Argument.String("user").pipe(Argument.withDescription("User name")), json },
  Effect.fn("cli.users.remove")(function*(o) {
    const path = yield* usersFile
    const name = yield* folded(o.user)
    const lines = yield* readLines(path)
    const user = (yield* parse(path, lines)).find((u) => u.name === name)
    if (user === undefined) return yield* fail(`no user ${name} in ${path}`)
    yield* writeLines(path, lines.filter((_, i) => i !== user.line - 1))
    yield* Console.log(o.json ? JSON.stringify({ name, removed: true, file: path }, null, 2) : `removed ${name} from ${path}`)
  })
).pipe(Command.withDescription("Remove a user"), Command.provide(CliSettings.layer))

const list = Command.make(
  "list",
  { json },
  Effect.fn("cli.users.list")(function*(o) {
    const path = yield* usersFile
    const users = (yield* parse(path, yield* readLines(path))).map((u) => ({ name: u.name, addresses: [...u.addresses] }))
    const text = users.length === 0
      ? `no users in ${path}`
      : users.map((u) => (u.addresses.length === 0 ? u.name : `${u.name}  (sends as ${u.addresses.join(", ")})`)).join("\n")
    yield* Console.log(o.json ? JSON.stringify({ file: path, users }, null, 2) : text)
  })
).pipe(Command.withDescription("List the users (names and addresses, never hashes)"), Command.provide(CliSettings.layer))

/** `cartero users ...`. */
export const command = Command.make("users").pipe(
  Command.withDescription("Manage the submission users file (CARTERO_AUTH_USERS_FILE, default <CARTERO_DATA_DIR>/users)"),
  Command.withSubcommands([add, remove, list])
)
