// A marked extension that hands text between LaTeX delimiters to KaTeX
// before markdown can touch it (so `_`, `*` and `\\` inside math survive).

import katex from "katex";
import type { TokenizerAndRendererExtension, Tokens } from "marked";

export interface Delimiter {
  left: string;
  right: string;
  display: boolean;
}

export const DEFAULT_DELIMITERS: readonly Delimiter[] = [
  { left: "$$", right: "$$", display: true },
  { left: "$", right: "$", display: false },
];

interface MathToken extends Tokens.Generic {
  text: string;
  display: boolean;
}

/** Reads `latex_delimiters`, keeping only well-formed entries. */
export function parseDelimiters(value: unknown): Delimiter[] {
  if (!Array.isArray(value)) return [...DEFAULT_DELIMITERS];
  return value
    .filter((d): d is Delimiter => typeof d?.left === "string" && typeof d?.right === "string")
    .filter((d) => d.left !== "" && d.right !== "")
    .map((d) => ({ left: d.left, right: d.right, display: d.display === true }));
}

/**
 * Inline math anywhere in a paragraph, plus display math that starts a block
 * (so a multi-line formula is not split into markdown lists or headings).
 */
export function mathExtensions(delimiters: readonly Delimiter[]): TokenizerAndRendererExtension[] {
  // Longest opener first, so `$$` wins over `$`.
  const all = [...delimiters].sort((a, b) => b.left.length - a.left.length);
  const display = all.filter((d) => d.display);
  const render = (token: Tokens.Generic): string => {
    const math = token as MathToken;
    return katex.renderToString(math.text, {
      displayMode: math.display,
      throwOnError: false,
      strict: "ignore",
    });
  };

  const inline: TokenizerAndRendererExtension = {
    name: "mathInline",
    level: "inline",
    start: (src) => firstOpener(src, all),
    tokenizer: (src) => matchMath(src, all, "mathInline"),
    renderer: render,
  };
  const block: TokenizerAndRendererExtension = {
    name: "mathBlock",
    level: "block",
    start: (src) => firstOpener(src, display),
    tokenizer(src) {
      const token = matchMath(src, display, "mathBlock");
      if (!token) return undefined;

      // Only a formula that fills its lines is a block; otherwise the
      // paragraph's inline pass renders it.
      const rest = /^[ \t]*(?:\n+|$)/.exec(src.slice(token.raw.length));
      if (!rest) return undefined;
      token.raw += rest[0];
      return token;
    },
    renderer: (token) => `${render(token)}\n`,
  };
  return display.length > 0 ? [block, inline] : [inline];
}

function firstOpener(src: string, delimiters: readonly Delimiter[]): number | undefined {
  let first = -1;
  for (const { left } of delimiters) {
    const at = src.indexOf(left);
    if (at >= 0 && (first < 0 || at < first)) first = at;
  }
  return first < 0 ? undefined : first;
}

function matchMath(
  src: string,
  delimiters: readonly Delimiter[],
  type: string,
): MathToken | undefined {
  for (const { left, right, display } of delimiters) {
    if (!src.startsWith(left)) continue;

    const end = findCloser(src, right, left.length);
    if (end <= left.length) continue;
    const text = src.slice(left.length, end);
    if (text.trim() === "") continue;
    return { type, raw: src.slice(0, end + right.length), text, display };
  }
  return undefined;
}

/** Index of `right` from `from` on, skipping ones escaped by a backslash. */
function findCloser(src: string, right: string, from: number): number {
  let at = src.indexOf(right, from);
  while (at >= 0 && !right.startsWith("\\") && isEscaped(src, at)) {
    at = src.indexOf(right, at + 1);
  }
  return at;
}

function isEscaped(src: string, at: number): boolean {
  let slashes = 0;
  while (at - slashes - 1 >= 0 && src[at - slashes - 1] === "\\") slashes++;
  return slashes % 2 === 1;
}
