import { QueueStoreSuite } from "@cartero/queue/testing"
import { tamperableLayer } from "./helpers.ts"

QueueStoreSuite.suite("RedisQueueStore", tamperableLayer())
QueueStoreSuite.suite("RedisQueueStore (4 shards)", tamperableLayer({ shards: 4 }))
