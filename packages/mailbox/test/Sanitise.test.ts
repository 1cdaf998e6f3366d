import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Sanitise from "../src/Sanitise.ts"

const clean = (html: string) => Sanitise.html(html, (cid) => (cid === "img1@x" ? "/parts/1" : undefined))

describe("Sanitise.html", () => {
  it.effect.each([
    ["script", `<p>a</p><script>alert(1)</script>`, `<p>a</p>`],
    ["event handler", `<img src="cid:img1@x" onerror="alert(1)">`, `<img src="/parts/1" />`],
    ["javascript: link", `<a href="javascript:alert(1)">x</a>`, `<a target="_blank" rel="noopener noreferrer nofollow">x</a>`],
    ["entity-obfuscated javascript: link", `<a href="jav&#x09;ascript:alert(1)">x</a>`, `<a target="_blank" rel="noopener noreferrer nofollow">x</a>`],
    ["svg with script", `<svg><script>alert(1)</script><circle/></svg>ok`, `ok`],
    ["meta refresh", `<meta http-equiv="refresh" content="0;url=https://evil.test/">ok`, `ok`],
    ["remote image", `<img src="https://t.test/p.gif" alt="p">`, `<img alt="p" data-blocked-src="https://t.test/p.gif" />`],
    ["protocol-relative image", `<img src="//t.test/p.gif">`, `<img data-blocked-src="//t.test/p.gif" />`],
    ["remote stylesheet", `<link rel="stylesheet" href="https://evil.test/x.css">ok`, `ok`],
    ["style element", `<style>body{background:url(https://evil.test/x)}</style>ok`, `ok`],
    ["style url()", `<div style="background:url(https://evil.test/x);color:red">x</div>`, `<div style="color:red">x</div>`],
    ["style expression()", `<div style="width:expression(alert(1))">x</div>`, `<div>x</div>`],
    ["iframe, form, object, embed", `<iframe src="x"></iframe><form action="x"><input></form><object data="x"></object><embed src="x">ok`, `ok`],
    ["base", `<base href="https://evil.test/">ok`, `ok`],
    ["data image", `<img src="data:image/png;base64,iVBORw0KGgo=">`, `<img src="data:image/png;base64,iVBORw0KGgo=" />`],
    ["data html", `<img src="data:text/html;base64,PHNjcmlwdD4=">`, `<img data-blocked-src="data:text/html;base64,PHNjcmlwdD4=" />`],
    ["unknown cid", `<img src="cid:nope">`, `<img />`],
    ["formatting kept", `<table border="1"><tr><td align="left"><b>x</b></td></tr></table>`, `<table border="1"><tr><td align="left"><b>x</b></td></tr></table>`]
  ] as const)("%s", ([, input, expected]) => Effect.sync(() => assert.strictEqual(clean(input), expected)))
})
