import { QueueStoreSuite, Tamper } from "@cartero/queue/testing"

QueueStoreSuite.suite("MemoryQueueStore", Tamper.Tamper.layerMemory())
