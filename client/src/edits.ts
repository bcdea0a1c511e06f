// Applies the edits of an `[id, property, edits, "edit"]` change: each is
// `[op, path, argument]`, `path` a list of list indices and dict keys from
// the value's root.

import type { Edit } from "./protocol";

type Container = Record<string | number, unknown>;

/**
 * The value `edits` make of `value`. Lists and dicts are changed in place, so
 * a token appended to the last message of a long chat costs only the token;
 * a string at the root, or a `replace` of the root, gives a new value.
 */
export function applyEdits(value: unknown, edits: readonly Edit[]): unknown {
  let root = value;
  for (const edit of edits) root = applyEdit(root, edit);
  return root;
}

function applyEdit(root: unknown, [op, path, argument]: Edit): unknown {
  if (path.length === 0 && (op === "replace" || typeof root === "string")) {
    return op === "replace" ? argument : grow(root, argument);
  }
  if (op === "replace" || op === "delete") {
    const parent = containerAt(root, path.slice(0, -1));
    const key = path[path.length - 1];
    if (op === "delete") delete parent[key];
    else parent[key] = argument;
    return root;
  }

  const parent = containerAt(root, path.slice(0, -1));
  const key = path[path.length - 1];
  const target = path.length === 0 ? root : parent[key];
  if (op === "append" && typeof target === "string") parent[key] = grow(target, argument);
  else if (op === "append" && Array.isArray(target)) extend(target, argument);
  else if (op === "truncate" && Array.isArray(target)) truncate(target, Number(argument));
  else throw new Error(`cannot apply '${op}' at ${JSON.stringify(path)}`);
  return root;
}

function containerAt(root: unknown, path: readonly (number | string)[]): Container {
  let node = root;
  for (const key of path) node = (node as Container | null)?.[key];
  if (node === null || typeof node !== "object") {
    throw new Error(`no list or dict at ${JSON.stringify(path)}`);
  }
  return node as Container;
}

function grow(text: unknown, more: unknown): string {
  return String(text ?? "") + String(more ?? "");
}

// One push per item: spreading a long list into push() can overflow the stack.
function extend(list: unknown[], more: unknown): void {
  for (const item of Array.isArray(more) ? more : [more]) list.push(item);
}

function truncate(list: unknown[], n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new Error(`cannot keep ${n} items of a list`);
  if (n < list.length) list.length = n;
}
