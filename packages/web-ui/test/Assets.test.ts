import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Assets from "../src/Assets.ts"

/** The module specifiers a served ES module imports (static `from "…"` / `import "…"`, and dynamic `import("…")`). */
const specifiers = (source: string): ReadonlyArray<string> =>
  Array.from(source.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)(["'])([^"'\n]+)\1/g), (m) => m[2] ?? "")

const text = (asset: Assets.Asset) => new TextDecoder().decode(asset.body)

describe("Assets", () => {
  it.effect("loads the page, the UI's modules and the libraries, each with its content type", () =>
    Effect.gen(function*() {
      const assets = yield* Assets.load
      assert.match(assets.version, /^[0-9a-f]{12}$/)
      assert.strictEqual(assets.base, `/ui/${assets.version}`)
      for (const path of ["app.mjs", "mail.mjs", "queue.mjs", "events.mjs", "style.css", "favicon.svg", "vendor/preact.mjs", "vendor/hooks.mjs", "vendor/htm.mjs"]) {
        assert.isDefined(assets.get(path), path)
      }
      assert.strictEqual(assets.get("app.mjs")?.contentType, "text/javascript; charset=utf-8")
      assert.strictEqual(assets.get("style.css")?.contentType, "text/css; charset=utf-8")
      assert.strictEqual(assets.get("favicon.svg")?.contentType, "image/svg+xml")
      assert.strictEqual(assets.index.contentType, "text/html; charset=utf-8")
      assert.isUndefined(assets.get("index.html"), "the page is served at / only, with its base filled in")
      assert.isUndefined(assets.get("../package.json"))
      // Loading twice gives the same version: it is a function of the bytes only.
      assert.strictEqual((yield* Assets.load).version, assets.version)
    }))

  it.effect("the page has no inline script and points at the versioned base", () =>
    Effect.gen(function*() {
      const assets = yield* Assets.load
      const page = text(assets.index)
      assert.notInclude(page, "{{base}}")
      assert.include(page, `<script type="module" src="${assets.base}/app.mjs"></script>`)
      const scripts = Array.from(page.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g))
      assert.isAbove(scripts.length, 0)
      for (const [, attributes, body] of scripts) {
        assert.match(attributes ?? "", /\bsrc=/, "every script is a file")
        assert.strictEqual(body?.trim(), "")
      }
      assert.notMatch(page, /\son[a-z]+=/i, "no inline event handler")
    }))

  it.effect("every module imports only relative paths that are served (no bare specifier, no CDN)", () =>
    Effect.gen(function*() {
      const assets = yield* Assets.load
      const modules = ["app.mjs", "mail.mjs", "queue.mjs", "events.mjs", "route.mjs", "api.mjs", "format.mjs", "html.mjs", "resource.mjs", "vendor/preact.mjs", "vendor/hooks.mjs", "vendor/htm.mjs"]
      for (const path of modules) {
        const asset = assets.get(path)
        if (asset === undefined) return assert.fail(`${path} is not served`)
        const source = text(asset)
        // Preact names the SVG and MathML namespaces (http://www.w3.org/…): only our own modules are held to this.
        if (!path.startsWith("vendor/")) assert.notMatch(source, /https?:\/\//, `${path} names no remote URL`)
        assert.notInclude(source, "sourceMappingURL", `${path}: no source map comment for a file not served`)
        for (const specifier of specifiers(source)) {
          assert.match(specifier, /^\.\.?\//, `${path} imports ${specifier}`)
          const target = new URL(specifier, `http://x/${path}`).pathname.slice(1)
          assert.isDefined(assets.get(target), `${path} imports ${specifier}, which is not served`)
        }
      }
      assert.include(text(assets.get("vendor/hooks.mjs") ?? assets.index), "from\"./preact.mjs\"")
    }))

  it("rewriteImports rewrites every form of a bare import, and refuses a module that does not make it", () => {
    assert.strictEqual(
      Assets.rewriteImports(`import{a}from"preact";import "preact";export*from 'preact'`, { preact: "./preact.mjs" }),
      `import{a}from"./preact.mjs";import "./preact.mjs";export*from './preact.mjs'`
    )
    assert.strictEqual(Assets.rewriteImports(`import{a}from"preact-x"`, { preact: "./p.mjs" }), undefined)
    assert.strictEqual(Assets.rewriteImports(`const x = 1`, { preact: "./p.mjs" }), undefined)
  })
})
