/**
 * `cartero users add|remove|list` on a users file in a temporary data directory: the file the server reads
 * (`<CARTERO_DATA_DIR>/users`, or `CARTERO_AUTH_USERS_FILE`), written in the auth plugin's format with its hash, and
 * read back by the plugin's own parser.
 */
import { PasswordHash, Users } from "@cartero/plugin-auth"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import * as Fs from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { cli, json } from "./support/Cli.ts"

const withDir = <A, E>(body: (dir: string) => Effect.Effect<A, E>) =>
  Effect.suspend(() => {
    const dir = Fs.mkdtempSync(join(tmpdir(), "cartero-cli-users-"))
    return body(dir).pipe(Effect.ensuring(Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))))
  })

describe("cartero users", () => {
  it.live("add writes a line the auth plugin reads, with a hash of the password; list and remove", () =>
    withDir((dir) =>
      Effect.gen(function*() {
        const env = { CARTERO_DATA_DIR: join(dir, "data") }
        const secret = join(dir, "secret")
        Fs.writeFileSync(secret, "correct horse\nignored second line\n")
        const users = join(dir, "data", "users")

        const added = yield* cli(env, "users", "add", "Alice@Example.test", "--alias", "sales@example.test, info@example.test", "--password-file", secret)
        assert.deepStrictEqual(added, { code: 0, stdout: `added alice@example.test to ${users}\n`, stderr: "" })
        assert.strictEqual(Fs.statSync(users).mode & 0o777, 0o600)
        const parsed = Users.parseFile(Fs.readFileSync(users, "utf8"), users)
        assert.isTrue(Result.isSuccess(parsed))
        const alice = Result.isSuccess(parsed) ? parsed.success[0] : undefined
        assert.strictEqual(alice?.name, "alice@example.test")
        assert.deepStrictEqual([...(alice?.addresses ?? [])], ["alice@example.test", "sales@example.test", "info@example.test"])
        if (alice !== undefined) {
          assert.isTrue(yield* PasswordHash.verify("correct horse", alice.hash))
          assert.isFalse(yield* PasswordHash.verify("ignored second line", alice.hash))
        }

        Fs.appendFileSync(users, "# a comment the operator wrote\n")
        assert.strictEqual((yield* cli(env, "users", "add", "relay-bot", "--password-file", secret, "--json")).code, 0)
        const again = yield* cli(env, "users", "add", "ALICE@example.test", "--password-file", secret)
        assert.strictEqual(again.code, 1)
        assert.strictEqual(again.stderr, `cartero: user alice@example.test already exists (${users}:1); remove it first\n`)

        assert.deepStrictEqual(json(yield* cli(env, "users", "list", "--json")), {
          file: users,
          users: [
            { name: "alice@example.test", addresses: ["alice@example.test", "sales@example.test", "info@example.test"] },
            { name: "relay-bot", addresses: [] }
          ]
        })
        const listed = yield* cli(env, "users", "list")
        assert.strictEqual(listed.stdout, "alice@example.test  (sends as alice@example.test, sales@example.test, info@example.test)\nrelay-bot\n")
        assert.notInclude(listed.stdout + Fs.readFileSync(users, "utf8"), "correct horse")

        assert.strictEqual((yield* cli(env, "users", "remove", "alice@EXAMPLE.test")).stdout, `removed alice@example.test from ${users}\n`)
        const left = Fs.readFileSync(users, "utf8").split("\n")
        assert.strictEqual(left[0], "# a comment the operator wrote")
        assert.match(left[1] ?? "", /^relay-bot:scrypt\$/)
        const missing = yield* cli(env, "users", "remove", "alice@example.test")
        assert.deepStrictEqual(missing, { code: 1, stdout: "", stderr: `cartero: no user alice@example.test in ${users}\n` })
      })))

  it.live("refuses bad names, bad aliases and an empty password, leaving the file as it was", () =>
    withDir((dir) =>
      Effect.gen(function*() {
        const users = join(dir, "users")
        const env = { CARTERO_AUTH_USERS_FILE: users }
        const secret = join(dir, "secret")
        const empty = join(dir, "empty")
        Fs.writeFileSync(secret, "pw\n")
        Fs.writeFileSync(empty, "\n")
        const bad = yield* cli(env, "users", "add", "not a name", "--password-file", secret)
        assert.strictEqual(bad.stderr, "cartero: \"not a name\" is neither an email address nor a plain name ([A-Za-z0-9._+-])\n")
        const alias = yield* cli(env, "users", "add", "bob@x.test", "--alias", "nope", "--password-file", secret)
        assert.strictEqual(alias.stderr, "cartero: alias 1 is not an email address\n")
        const nopw = yield* cli(env, "users", "add", "bob@x.test", "--password-file", empty)
        assert.strictEqual(nopw.stderr, "cartero: empty password\n")
        assert.isFalse(Fs.existsSync(users))
        assert.strictEqual((yield* cli(env, "users", "list")).stdout, `no users in ${users}\n`)
      })))
})
