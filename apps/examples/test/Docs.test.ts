import { assert, describe, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { join } from "node:path"

const repo = join(import.meta.dirname, "..", "..", "..")
const read = (path: string) => readFileSync(join(repo, path), "utf8")

/** The ```ts blocks of a markdown file. */
const blocks = (markdown: string): ReadonlyArray<string> => [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? "")

describe("the documentation shows the code that is compiled and tested here", () => {
  for (const [doc, files] of [
    ["docs/writing-a-plugin.md", ["src/RecipientLimit.ts", "src/InternalRelay.ts", "test/RecipientLimit.test.ts", "test/InternalRelay.test.ts"]],
    ["docs/assembling-a-server.md", ["src/CustomServer.ts", "src/main.ts"]]
  ] as const) {
    it(`${doc} holds ${files.join(", ")} verbatim`, () => {
      const shown = blocks(read(doc))
      for (const file of files) {
        const source = read(join("apps/examples", file))
        assert.isTrue(shown.some((block) => block === source), `${doc} has no block equal to apps/examples/${file}`)
      }
    })
  }
})
