/**
 * `bash scripts/catcher.sh` (or `pnpm catcher`): the development mail catcher. SMTP on 127.0.0.1:1025, the web UI
 * on http://127.0.0.1:8025/; `CARTERO_*` settings override the defaults (CatcherConfig.ts). Ctrl-C or SIGTERM
 * stops it.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Layer } from "effect"
import * as Catcher from "./Catcher.ts"

NodeRuntime.runMain(Layer.launch(Catcher.layer))
