// vitest 5 declares Node 22 and its reporter calls `Map.groupBy` (Node 21+) when printing failures: on Node 20
// that crashes the report of a failing run. Install the ES2024 method where it is missing.
interface MapConstructorWithGroupBy {
  groupBy?: <K, T>(items: Iterable<T>, key: (item: T, index: number) => K) => Map<K, Array<T>>
}
const MapCtor = Map as unknown as MapConstructorWithGroupBy
if (typeof MapCtor.groupBy !== "function") {
  MapCtor.groupBy = <K, T>(items: Iterable<T>, key: (item: T, index: number) => K): Map<K, Array<T>> => {
    const out = new Map<K, Array<T>>()
    let i = 0
    for (const item of items) {
      const k = key(item, i++)
      const group = out.get(k)
      if (group === undefined) out.set(k, [item])
      else group.push(item)
    }
    return out
  }
}
interface ObjectConstructorWithGroupBy {
  groupBy?: <T>(items: Iterable<T>, key: (item: T, index: number) => PropertyKey) => Record<PropertyKey, Array<T>>
}
const ObjectCtor = Object as unknown as ObjectConstructorWithGroupBy
if (typeof ObjectCtor.groupBy !== "function") {
  ObjectCtor.groupBy = <T>(items: Iterable<T>, key: (item: T, index: number) => PropertyKey) => {
    const out: Record<PropertyKey, Array<T>> = Object.create(null)
    let i = 0
    for (const item of items) {
      const k = key(item, i++)
      ;(out[k] ??= []).push(item)
    }
    return out
  }
}
export {}
