import { QueueStoreSuite } from "@cartero/queue/testing"
import { tamperableLayer } from "./helpers.ts"

QueueStoreSuite.suite("SqliteQueueStore", tamperableLayer())
