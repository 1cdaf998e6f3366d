import { ContentType, Headers, Parser } from "../src/index.ts"
const h = Buffer.from("Date: Thu, 26 Nov 2026 06:21:43 +0000\r\nMessage-ID: <mwx5zxoi.3ab5950dae478a0631@example.com>\r\nFrom: <a@example.com>\r\nTo: <b@example.org>\r\nSubject: 100 KiB HTML\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative;\r\n boundary=\"=_cartero_98c94e41c6170a5f15c2d858\"\r\n\r\n")
const t = (name: string, f: () => unknown) => { for (let k = 0; k < 20000; k++) f(); const a = performance.now(); for (let k = 0; k < 200000; k++) f(); console.log(name, ((performance.now() - a) / 200).toFixed(2), "us") }
t("Headers.parse", () => Headers.parse(h))
t("Headers.parse+get", () => Headers.parse(h).get("content-type"))
t("ContentType.parse", () => ContentType.parse("multipart/alternative; boundary=\"=_cartero_98c94e41c6170a5f15c2d858\""))
t("ContentType.parse simple", () => ContentType.parse("text/plain; charset=utf-8"))
t("Parser.parseStructure(headers only)", () => Parser.parseStructure(h))
