import { QueueStoreSuite } from "@cartero/queue/testing"
import { testLayer } from "./helpers.ts"

QueueStoreSuite.suite("RedisQueueStore", testLayer())
QueueStoreSuite.suite("RedisQueueStore (4 shards)", testLayer({ shards: 4 }))
