/**
 * Loading the config file ({@link CarteroConfig}) at start-up: found by {@link ConfigPath} (`CARTERO_CONFIG`, read
 * through `Setting`, or `cartero.config.ts` in the working directory), then
 *
 * - running from the sources (`pnpm dev`, tests): imported as it is (tsx and vitest compile TypeScript);
 * - running the bundle (`pnpm start`): taken from the bundle, where `scripts/build.mjs` compiled it in. A config
 *   that the bundle does not hold, or that changed since the build, stops start-up with a message saying to start
 *   with `pnpm start` (which builds first): a bundle never runs a config other than the one on disk.
 *
 * No file: the app's defaults, exactly as without this feature.
 *
 * @since 0.1.0
 */
import { Setting } from "@cartero/settings"
import { type Config, Effect } from "effect"
import { createHash } from "node:crypto"
import { readFileSync } from "node:fs"
import { pathToFileURL } from "node:url"
import * as BuildInfo from "./BuildInfo.ts"
import { type CarteroConfig, ConfigFileError, problem } from "./CarteroConfig.ts"
import * as ConfigPath from "./ConfigPath.ts"

/** A loaded config and where it came from (`undefined`: no file). */
export interface Loaded {
  readonly path: string | undefined
  readonly config: CarteroConfig
}

const none: Loaded = { path: undefined, config: {} }

const sha256 = (path: string): string => createHash("sha256").update(readFileSync(path)).digest("hex")

const validated = (path: string, module: { readonly default?: unknown }): Effect.Effect<Loaded, ConfigFileError> => {
  const wrong = problem(module.default)
  return wrong === undefined
    ? Effect.succeed({ path, config: module.default as CarteroConfig })
    : Effect.fail(new ConfigFileError({ path, problem: wrong }))
}

const fromBundle = (path: string, config: BuildInfo.BundledConfig | undefined): Effect.Effect<Loaded, ConfigFileError> => {
  const rebuild = "start with `pnpm start`, which builds the app with it"
  if (config === undefined || config.path !== path) {
    return Effect.fail(new ConfigFileError({ path, problem: `not part of this build of the app; ${rebuild}` }))
  }
  if (sha256(path) !== config.sha256) return Effect.fail(new ConfigFileError({ path, problem: `changed since the app was built; ${rebuild}` }))
  return validated(path, config.module)
}

const fromSource = (path: string): Effect.Effect<Loaded, ConfigFileError> =>
  Effect.tryPromise({
    try: () => import(pathToFileURL(path).href) as Promise<{ readonly default?: unknown }>,
    catch: (cause) =>
      new ConfigFileError({ path, problem: `cannot be loaded: ${cause instanceof Error ? cause.message.split("\n")[0] : String(cause)}` })
  }).pipe(Effect.flatMap((module) => validated(path, module)))

/** Finds and loads the config file, if there is one. */
export const load: Effect.Effect<Loaded, ConfigFileError | Setting.InvalidSetting | Config.ConfigError> = Effect.gen(function*() {
  const explicit = yield* Setting.optional("CARTERO_CONFIG", "a path to a config file", (raw) => raw)
  const where = ConfigPath.locate(explicit, ConfigPath.workingDirectory(process.env, process.cwd()))
  if (where._tag === "None") return none
  if (where._tag === "Missing") {
    return yield* new Setting.InvalidSetting({ variable: "CARTERO_CONFIG", expected: "the path of an existing file", got: explicit ?? where.path })
  }
  return yield* (BuildInfo.bundle === undefined ? fromSource(where.path) : fromBundle(where.path, BuildInfo.bundle.config))
})
