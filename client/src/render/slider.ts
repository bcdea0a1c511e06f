// Slider: a range input with a number box beside its label. Dragging sends
// `set` at most once per animation frame; letting go sends `release`.

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

export const slider: BlockFactory = ({ id }, app) => {
  const element = h("div", "rb-field");
  const range = h("input", "rb-range");
  const number = h("input", "rb-number");
  const label = new FieldLabel(id, "Slider", (range.id = partId(id, "range")));
  range.type = "range";
  number.type = "number";
  number.id = partId(id, "number");
  // The caption names the range; a second "Speed" here would make the label
  // ambiguous to anyone looking controls up by it.
  number.setAttribute("aria-label", "Value");
  const head = h("div", "rb-slider-head");
  head.append(label.element, number);
  element.append(head, range);

  // A drag fires `input` far faster than the screen refreshes; only the
  // newest value of each frame is worth sending.
  let pending: number | null = null;
  let frame = 0;
  const flush = (): void => {
    cancelAnimationFrame(frame);
    frame = 0;
    if (pending === null) return;
    const value = pending;
    pending = null;
    app.edit(id, value);
  };

  range.addEventListener("input", () => {
    number.value = range.value;
    pending = Number(range.value);
    if (frame === 0) frame = requestAnimationFrame(flush);
  });
  range.addEventListener("change", () => {
    flush();
    app.trigger(id, "release");
  });
  number.addEventListener("change", () => {
    const value = clamp(Number(number.value), app.store.get(id));
    if (Number.isNaN(value)) {
      number.value = range.value;
      return;
    }
    // The range puts a typed value on its step, as a drag would; the value
    // sent is the one both inputs then show.
    range.value = String(value);
    number.value = range.value;
    pending = Number(range.value);
    flush();
    app.trigger(id, "release");
  });

  return {
    element,
    update(props, changed) {
      label.update(props, changed);
      if (touched(changed, "info")) label.describe(range);
      if (touched(changed, "minimum", "maximum", "step")) {
        for (const input of [range, number]) {
          input.min = String(numberProp(props, "minimum", 0));
          input.max = String(numberProp(props, "maximum", 100));
          input.step = String(numberProp(props, "step", 1));
        }
      }
      if (touched(changed, "interactive")) {
        range.disabled = number.disabled = !isInteractive(props);
      }
      if (touched(changed, "value", "minimum", "maximum", "step")) {
        const value = String(numberProp(props, "value", numberProp(props, "minimum", 0)));
        if (range.value !== value) range.value = value;
        if (number.value !== range.value) number.value = range.value;
      }
    },
  };
};

function clamp(value: number, props: Props): number {
  if (!Number.isFinite(value)) return Number.NaN;
  const min = numberProp(props, "minimum", 0);
  const max = numberProp(props, "maximum", 100);
  return Math.min(max, Math.max(min, value));
}
