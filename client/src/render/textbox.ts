// Textbox: an <input> for one line, a <textarea> for several. Server values
// never cost the user keystrokes (see `TypedText`) nor move the caret.

import type { Props } from "../protocol";
import {
  type BlockFactory,
  FieldLabel,
  h,
  isInteractive,
  numberProp,
  partId,
  touched,
} from "./block";
import { TypedText } from "./typing";

const INPUT_TYPES = new Set(["text", "password", "email"]);

type Control = HTMLInputElement | HTMLTextAreaElement;

export const textbox: BlockFactory = ({ id, props: initial }, app) => {
  const element = h("div", "rb-field");
  const controlId = partId(id, "input");
  const label = new FieldLabel(id, "Textbox", controlId);
  const multiline = numberProp(initial, "lines", 1) > 1;
  const control = multiline ? h("textarea", "rb-input") : h("input", "rb-input");
  control.id = controlId;
  element.append(label.element, control);

  // The user's own edit comes back through the store; it is no server value.
  let editing = false;
  const typing = new TypedText(
    control,
    (text) => {
      editing = true;
      app.edit(id, text);
      editing = false;
    },
    () => app.confirm(),
    (value) => {
      app.store.keep(id, value);
      replaceText(control, value);
      fitRows(control, app.store.get(id));
    },
  );
  control.addEventListener("input", () => {
    fitRows(control, app.store.get(id));
    typing.typed();
  });
  // Enter submits a single-line box; the value already went out as `set`.
  control.addEventListener("keydown", (e: Event) => {
    const key = e as KeyboardEvent;
    if (key.key === "Enter" && !multiline && !key.isComposing) app.trigger(id, "submit");
  });

  return {
    element,
    update(props, changed) {
      label.update(props, changed);
      if (touched(changed, "info")) label.describe(control);
      if (touched(changed, "placeholder")) {
        control.placeholder = typeof props.placeholder === "string" ? props.placeholder : "";
      }
      if (touched(changed, "interactive")) control.readOnly = !isInteractive(props);
      if (touched(changed, "max_length")) {
        const max = numberProp(props, "max_length", 0);
        if (max > 0) control.maxLength = max;
        else control.removeAttribute("maxlength");
      }
      if (touched(changed, "type") && control instanceof HTMLInputElement) {
        control.type = INPUT_TYPES.has(String(props.type)) ? String(props.type) : "text";
      }
      if (touched(changed, "value") && !editing) {
        const value = props.value == null ? "" : String(props.value);
        if (!typing.accepts(value)) app.store.keep(id, control.value);
        else if (control.value !== value) replaceText(control, value);
      }
      if (touched(changed, "value", "lines", "max_lines")) fitRows(control, props);
    },
  };
};

/**
 * Sets the control's text. In a focused box the selection stays where it
 * was (clamped to the new text), instead of jumping to the end.
 */
function replaceText(control: Control, value: string): void {
  if (document.activeElement !== control) {
    control.value = value;
    return;
  }

  const { selectionStart, selectionEnd, selectionDirection } = control;
  control.value = value;
  if (selectionStart === null || selectionEnd === null) return;
  const clamp = (n: number): number => Math.min(n, value.length);
  const direction = selectionDirection ?? "none";
  control.setSelectionRange(clamp(selectionStart), clamp(selectionEnd), direction);
}

/** Grows a textarea with its text, from `lines` up to `max_lines` rows. */
function fitRows(control: Control, props: Props): void {
  if (!(control instanceof HTMLTextAreaElement)) return;
  const lines = Math.max(1, numberProp(props, "lines", 1));
  const maxLines = Math.max(lines, numberProp(props, "max_lines", lines));
  const needed = control.value.split("\n").length;
  control.rows = Math.min(maxLines, Math.max(lines, needed));
}
