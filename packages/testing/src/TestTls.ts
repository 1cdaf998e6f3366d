/**
 * A self-signed certificate for `localhost` / `mx.test` / `127.0.0.1` (EC P-256, valid until 2126), for STARTTLS
 * tests on loopback. Test material only: the private key is public, so never use it outside tests.
 *
 * A server uses `{ key, cert }`; a client that wants to verify passes `{ ca: cert, servername: "localhost" }`.
 *
 * @since 0.1.0
 */

/** PEM private key matching {@link cert}. */
export const key = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgO9KTa0bfSAxUhofy
seeVqWFJguWTc3JxXtFB7KCP7gShRANCAATLy4d9sr4XIf/VMw8zMcJOJ+OgThBq
g3WqNrodMtxVSpiw6EgJmVw/TpDSBwMWCbUZUPm3PPaQp6WhTGMVdXlt
-----END PRIVATE KEY-----
`

/** PEM self-signed certificate (CN=localhost; SAN localhost, mx.test, 127.0.0.1). */
export const cert = `-----BEGIN CERTIFICATE-----
MIIBpTCCAUqgAwIBAgIUco/+JQj1R2zYvoi9icLbez9/9M0wCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyNjA1Mjc0MloYDzIxMjYxMTAy
MDUyNzQyWjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAATLy4d9sr4XIf/VMw8zMcJOJ+OgThBqg3WqNrodMtxVSpiw6EgJmVw/
TpDSBwMWCbUZUPm3PPaQp6WhTGMVdXlto3gwdjAdBgNVHQ4EFgQUAO9LfJOcVt3/
ala+VYPucPXN8O8wHwYDVR0jBBgwFoAUAO9LfJOcVt3/ala+VYPucPXN8O8wDwYD
VR0TAQH/BAUwAwEB/zAjBgNVHREEHDAagglsb2NhbGhvc3SCB214LnRlc3SHBH8A
AAEwCgYIKoZIzj0EAwIDSQAwRgIhALunYCFUuciEILtAv/DL5obiSF5e8a05ydTM
rF70XM4XAiEA6YgX1YMRgbCXLYHf1IReUhY/08e5G+XWN9oXRoy1Rsg=
-----END CERTIFICATE-----
`
