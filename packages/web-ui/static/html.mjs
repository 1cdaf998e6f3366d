// htm bound to Preact's h: tagged templates instead of JSX, so the browser runs these files as they are (no build).
import { h } from "./vendor/preact.mjs"
import htm from "./vendor/htm.mjs"

export const html = htm.bind(h)
