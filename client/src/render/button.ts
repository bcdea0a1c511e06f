// Button: its `value` is the caption; a click sends the `click` trigger.

import { type BlockFactory, h, isInteractive, touched } from "./block";

const VARIANTS = ["primary", "secondary", "stop"];
const SIZES = ["sm", "md", "lg"];

export const button: BlockFactory = ({ id }, app) => {
  const element = h("button", "rb-button");
  element.type = "button";
  element.addEventListener("click", () => app.trigger(id, "click"));

  return {
    element,
    update(props, changed) {
      if (touched(changed, "value"))
        element.textContent = props.value == null ? "" : String(props.value);
      if (touched(changed, "interactive")) element.disabled = !isInteractive(props);
      if (touched(changed, "variant")) {
        const variant = VARIANTS.includes(String(props.variant))
          ? String(props.variant)
          : "secondary";
        for (const v of VARIANTS) element.classList.toggle(`rb-${v}`, v === variant);
      }
      if (touched(changed, "size")) {
        const size = SIZES.includes(String(props.size)) ? String(props.size) : "lg";
        for (const s of SIZES) element.classList.toggle(`rb-size-${s}`, s === size);
      }
    },
  };
};
