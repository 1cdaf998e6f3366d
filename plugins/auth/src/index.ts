/**
 * `@cartero/plugin-auth`: SMTP AUTH against a file of scrypt hashes; authenticated senders must own MAIL FROM.
 *
 * @since 0.1.0
 */
export * as Auth from "./Auth.ts"
export * as AuthConfig from "./AuthConfig.ts"
export * as PasswordHash from "./PasswordHash.ts"
export * as Users from "./Users.ts"
export * as UsersSource from "./UsersSource.ts"
