/**
 * `pnpm --filter @cartero/examples custom-server`: the server of docs/assembling-a-server.md on 127.0.0.1:2525,
 * files under ./data. Ctrl-C stops it.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Layer } from "effect"
import * as CustomServer from "./CustomServer.ts"

NodeRuntime.runMain(Layer.launch(CustomServer.layer({ port: 2525, dataDir: "./data" })))
