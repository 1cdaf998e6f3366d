// Starts a fuzz worker thread. Worker threads do not inherit tsx's loader, so the TypeScript entry named in
// `workerData.entry` (a file URL) is loaded through tsx's API, which works under tsx and under vitest alike.
import { workerData } from "node:worker_threads"
import { tsImport } from "tsx/esm/api"

await tsImport(workerData.entry, import.meta.url)
