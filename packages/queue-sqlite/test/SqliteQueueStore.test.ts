import { QueueStoreSuite } from "@cartero/queue/testing"
import { SqliteQueueStore } from "../src/index.ts"

QueueStoreSuite.suite("SqliteQueueStore", SqliteQueueStore.SqliteQueueStore.layerTemp())
