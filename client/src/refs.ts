// The `ref`s the page puts on its messages: one counter for all of them, so
// that an `error` or `event` naming a ref names exactly one message.

let last = 0;

/** A ref no other message of this page carries. */
export function nextRef(): number {
  last += 1;
  return last;
}
