import { Builder, Parser } from "../src/index.ts"
const lorem = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. "
const m = Buffer.from(Builder.build({ from: "a@example.com", to: ["b@example.org"], subject: "100 KiB HTML", date: new Date(), text: lorem.repeat(40), html: `<html><body>${`<p>${lorem}</p>\n`.repeat(800)}</body></html>` }))
const nl = Buffer.from("\n--")
const t0 = performance.now(); for (let k = 0; k < 100000; k++) Parser.parseStructure(m); const t1 = performance.now()
for (let k = 0; k < 100000; k++) { let h = 0; for (let i = m.indexOf(nl); i >= 0; i = m.indexOf(nl, i + 1)) h++ } const t2 = performance.now()
console.log("structure us", ((t1 - t0) / 100).toFixed(1), "scan us", ((t2 - t1) / 100).toFixed(1), m.length)
console.log(m.toString("latin1").slice(0, 900))
