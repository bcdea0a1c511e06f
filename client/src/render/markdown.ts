// Markdown blocks: marked with KaTeX math, then DOMPurify over the whole HTML.

import DOMPurify from "dompurify";
import { Marked } from "marked";
import { type Delimiter, mathExtensions, parseDelimiters } from "../math";
import { type BlockFactory, h, touched } from "./block";

// KaTeX's MathML carries the TeX source in <semantics>/<annotation>, which
// DOMPurify drops unless asked; everything else KaTeX emits is allowed.
const PURIFY_OPTIONS = {
  ADD_TAGS: ["semantics", "annotation"],
  ADD_ATTR: ["encoding", "target"],
};

DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node instanceof HTMLAnchorElement && node.hasAttribute("href")) {
    node.target = "_blank";
    node.rel = "noopener noreferrer";
  }
});

const parsers = new Map<string, Marked>();

function parserFor(delimiters: readonly Delimiter[]): Marked {
  const key = JSON.stringify(delimiters);
  let parser = parsers.get(key);
  if (!parser) {
    parser = new Marked({ gfm: true, extensions: mathExtensions(delimiters) });
    parsers.set(key, parser);
  }
  return parser;
}

/** Markdown text to sanitised HTML. */
export function renderMarkdown(text: string, delimiters: readonly Delimiter[]): string {
  const html = parserFor(delimiters).parse(text, { async: false });
  return DOMPurify.sanitize(html, PURIFY_OPTIONS);
}

export const markdown: BlockFactory = () => {
  const element = h("div", "rb-prose");
  let source = "";
  let delimiters: Delimiter[] = [];
  let scheduled = false;

  // A streamed answer grows by many appends per second; parsing once per
  // animation frame keeps the cost to what the screen can show.
  const paint = (): void => {
    scheduled = false;
    element.innerHTML = renderMarkdown(source, delimiters);
  };

  return {
    element,
    update(props, changed) {
      if (!touched(changed, "value", "latex_delimiters")) return;
      source = typeof props.value === "string" ? props.value : "";
      delimiters = parseDelimiters(props.latex_delimiters);
      if (changed === null) paint();
      else if (!scheduled) {
        scheduled = true;
        requestAnimationFrame(paint);
      }
    },
  };
};
