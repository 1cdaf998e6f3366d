/**
 * `@cartero/mta/config`: what a `cartero.config.ts` imports.
 *
 * ```ts
 * import { defaults, defineConfig } from "@cartero/mta/config"
 * export default defineConfig({ plugins: [myPlugin, ...defaults.plugins] })
 * ```
 *
 * @since 0.1.0
 */
export {
  type CarteroConfig,
  defineConfig,
  type InboundServices,
  type OutboundServices,
  type SettingName,
  type Settings,
  type SettingValue
} from "./CarteroConfig.ts"
export * as defaults from "./Defaults.ts"
