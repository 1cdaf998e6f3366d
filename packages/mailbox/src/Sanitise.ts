/**
 * Makes a message's HTML safe to show: an allow-list of formatting tags and attributes ({@link https://www.npmjs.com/package/sanitize-html sanitize-html}),
 * no script of any kind, and no remote content. See docs/decisions/mail-html-sanitising.md for the choice and the
 * rules; the web UI adds a second wall (a sandboxed iframe with a CSP), so a gap here is not a hole by itself.
 *
 * - Removed with their content: `script`, `style`, `title`, `head` material, `iframe`, `object`, `embed`, `form`
 *   and its controls, `svg`, `math`, `template`, `noscript`; dropped (content kept): every tag not allowed.
 * - Attributes: an allow-list per tag; every `on*` handler and `style` is dropped except the style properties
 *   listed below, whose values may not contain `url(`, `expression(`, `@import` or `\`.
 * - URLs: links keep `http`, `https` and `mailto`; images keep `cid:` (rewritten to the part URL by `cid`) and
 *   `data:image/{png,gif,jpeg,webp}`; a remote image loses its `src` and gets `data-blocked-src`, so the UI can say
 *   that remote content was blocked.
 * - Links get `target="_blank"` and `rel="noopener noreferrer nofollow"`.
 *
 * @since 0.1.0
 */
import sanitizeHtml from "sanitize-html"

/** How `cid:` references are resolved: the URL of the part with that Content-ID, if the message has one. */
export type CidResolver = (contentId: string) => string | undefined

const formattingTags = [
  "a", "abbr", "address", "b", "bdi", "bdo", "big", "blockquote", "br", "caption", "center", "cite", "code", "col",
  "colgroup", "dd", "del", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "font", "h1", "h2", "h3", "h4",
  "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span",
  "strike", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "tt", "u", "ul", "wbr"
]

// Presentation attributes HTML mail uses for layout; none can load anything or run anything.
const layout = ["align", "valign", "width", "height", "bgcolor", "color", "border", "cellpadding", "cellspacing", "colspan", "rowspan", "dir", "lang", "title", "face", "size"]

const safeValue = /^(?!.*(?:url\s*\(|expression\s*\(|@import|\\|javascript:|behavior|-moz-binding)).*$/i
const styleProperties = [
  "color", "background-color", "font", "font-family", "font-size", "font-style", "font-weight", "text-align",
  "text-decoration", "text-transform", "line-height", "letter-spacing", "white-space", "vertical-align", "width",
  "max-width", "min-width", "height", "margin", "margin-top", "margin-bottom", "margin-left", "margin-right",
  "padding", "padding-top", "padding-bottom", "padding-left", "padding-right", "border", "border-top",
  "border-bottom", "border-left", "border-right", "border-color", "border-width", "border-style",
  "border-collapse", "border-radius", "display", "direction"
]

const dataImage = /^data:image\/(?:png|gif|jpeg|webp);base64,[A-Za-z0-9+/=\s]*$/i

/** The sanitised HTML, with `cid:` images pointing where `cid` says. Never throws. */
export const html = (input: string, cid: CidResolver): string =>
  sanitizeHtml(input, {
    allowedTags: formattingTags,
    allowedAttributes: {
      "*": [...layout, "style", "class"],
      a: ["href", "name", "target", "rel"],
      img: ["src", "alt", "data-blocked-src"],
      td: ["nowrap"],
      ol: ["start", "type"]
    },
    // Everything listed here is removed together with its content; other disallowed tags keep their text.
    nonTextTags: ["script", "style", "title", "textarea", "option", "noscript", "template", "svg", "math", "iframe", "object", "embed", "head", "xmp", "noembed", "noframes", "select", "button"],
    disallowedTagsMode: "discard",
    allowedSchemes: ["http", "https", "mailto"],
    allowedSchemesByTag: { img: ["cid", "data"] },
    allowedSchemesAppliedToAttributes: ["href", "src", "cite"],
    allowProtocolRelative: false,
    allowedStyles: { "*": Object.fromEntries(styleProperties.map((p) => [p, [safeValue]])) },
    transformTags: {
      a: (tagName, attribs) => ({ tagName, attribs: { ...attribs, target: "_blank", rel: "noopener noreferrer nofollow" } }),
      img: (tagName, attribs) => {
        const { src, ...rest } = attribs
        const source = (src ?? "").trim()
        if (/^cid:/i.test(source)) {
          const url = cid(decodeURIComponent(source.slice(4)).replace(/^<|>$/g, ""))
          return url === undefined ? { tagName, attribs: rest } : { tagName, attribs: { ...rest, src: url } }
        }
        if (dataImage.test(source)) return { tagName, attribs: { ...rest, src: source } }
        // Remote (or anything else): never fetched; the UI may tell the reader it was blocked.
        return { tagName, attribs: source === "" ? rest : { ...rest, "data-blocked-src": source.slice(0, 2048) } }
      }
    }
  })
