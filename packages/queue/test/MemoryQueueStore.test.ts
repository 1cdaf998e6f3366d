import { QueueStoreSuite } from "@cartero/queue/testing"
import { MemoryQueueStore } from "../src/index.ts"

QueueStoreSuite.suite("MemoryQueueStore", MemoryQueueStore.MemoryQueueStore.layer())
