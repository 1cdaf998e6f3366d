/**
 * What the build put into the bundle. In the sources this module says "not a bundle"; `scripts/build.mjs` replaces
 * it when it bundles the app, with the config file (if any) compiled in: a bundle cannot `import()` TypeScript at
 * run time, and a config compiled into the same bundle shares the app's one copy of Effect and of every package
 * (so the services its plugins ask for are the very ones the app provides).
 *
 * @since 0.1.0
 */

/** A config file compiled into the bundle. */
export interface BundledConfig {
  /** Absolute path of the file at build time. */
  readonly path: string
  /** SHA-256 (hex) of its contents at build time: a bundle refuses to run a config edited since. */
  readonly sha256: string
  /** The module the file compiled to. */
  readonly module: { readonly default?: unknown }
}

/** `undefined` when running from the sources (tsx, tests); the bundle's build facts otherwise. */
export const bundle: { readonly config: BundledConfig | undefined } | undefined = undefined
