/**
 * The plugin's settings from the environment:
 *
 * | variable | default | meaning |
 * |---|---|---|
 * | `CARTERO_AUTH_USERS_FILE` | `<CARTERO_DATA_DIR>/users` (a missing default file = no users, with a warning) | users file; when set, it must exist |
 * | `CARTERO_AUTH_USERS` | unset | inline entries `user:hash,user2:hash:alias,alias` (containers), added to the file's |
 * | `CARTERO_AUTH_ENFORCE_SENDER` | `true` | authenticated submission sessions may only use their own addresses in MAIL FROM |
 *
 * Empty values count as unset, as everywhere in Cartero.
 *
 * @since 0.1.0
 */
import { Setting } from "@cartero/settings"
import { Config, Effect, Option } from "effect"
import * as Path from "node:path"
import type { Source } from "./UsersSource.ts"

/** What the plugin is built from. */
export interface Settings {
  readonly sources: ReadonlyArray<Source>
  /** Check MAIL FROM of authenticated sessions on submission/smtps listeners against the user's addresses. */
  readonly enforceSender: boolean
}

/** The environment variable behind each setting. */
export const variables = {
  usersFile: "CARTERO_AUTH_USERS_FILE",
  users: "CARTERO_AUTH_USERS",
  enforceSender: "CARTERO_AUTH_ENFORCE_SENDER",
  dataDir: "CARTERO_DATA_DIR"
} as const

const optional = (name: string): Config.Config<Option.Option<string>> =>
  Config.option(Config.String(name)).pipe(
    Config.map((value) => Option.filter(Option.map(value, (s) => s.trim()), (s) => s !== ""))
  )

/** Unset or empty: `true`; otherwise {@link Setting.boolean}, refused as `…: expected true or false, got "…"`. */
const enforceSender: Config.Config<boolean> = optional(variables.enforceSender).pipe(
  Config.mapEffect(Option.match({
    onNone: () => Effect.succeed(true),
    onSome: (value) =>
      Effect.mapError(Setting.decode(variables.enforceSender, "true or false", Setting.boolean)(value), Setting.toConfigError)
  }))
)

/** The settings; the users themselves are read when the plugin is built. */
export const config: Config.Config<Settings> = Config.all({
  usersFile: optional(variables.usersFile),
  dataDir: optional(variables.dataDir),
  users: optional(variables.users),
  enforceSender
}).pipe(
  Config.map(({ dataDir, enforceSender, users, usersFile }): Settings => {
    const file: Source = Option.match(usersFile, {
      // Only an explicitly configured file must exist: the default lets a server without submission start.
      onNone: () => ({ _tag: "File", path: Path.join(Option.getOrElse(dataDir, () => "./data"), "users"), optional: true }),
      onSome: (path) => ({ _tag: "File", path, optional: false })
    })
    const inline: ReadonlyArray<Source> = Option.match(users, {
      onNone: () => [],
      onSome: (text) => [{ _tag: "Inline", source: variables.users, text }]
    })
    return { sources: [file, ...inline], enforceSender }
  })
)
