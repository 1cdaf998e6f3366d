import { Builder, Parser } from "../src/index.ts"
const lorem = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. "
const m = Buffer.from(Builder.build({ from: "a@example.com", to: ["b@example.org"], subject: "1 KiB text", date: new Date(), text: lorem.repeat(8) }))
for (let k = 0; k < 300000; k++) Parser.parseStructure(m)
