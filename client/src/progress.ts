// The bar a run's `progress` messages fill: with its description and counts
// when the listener shows full progress, a thin line when it shows minimal.

import type { ProgressMessage } from "./protocol";

export class ProgressBar {
  readonly element = document.createElement("div");
  private readonly fill = document.createElement("div");
  private readonly desc = document.createElement("span");
  private readonly count = document.createElement("span");

  constructor(minimal: boolean) {
    this.element.className = `rb-progress ${minimal ? "rb-progress-minimal" : "rb-progress-full"}`;
    this.element.setAttribute("role", "progressbar");
    this.element.setAttribute("aria-label", "Progress");
    this.element.setAttribute("aria-valuemin", "0");
    this.element.setAttribute("aria-valuemax", "100");
    this.fill.className = "rb-progress-fill";
    const track = document.createElement("div");
    track.className = "rb-progress-track";
    track.append(this.fill);
    this.element.append(track);
    if (minimal) return;

    this.desc.className = "rb-progress-desc";
    this.count.className = "rb-progress-count";
    const text = document.createElement("div");
    text.className = "rb-progress-text";
    text.append(this.desc, this.count);
    this.element.append(text);
  }

  show(message: ProgressMessage): void {
    const fraction = fractionOf(message);
    const count = countText(message, fraction);
    const desc = typeof message.desc === "string" ? message.desc : "";

    // An unknown fraction leaves the bar indeterminate, as ARIA asks.
    this.element.classList.toggle("rb-progress-indeterminate", fraction === null);
    if (fraction === null) this.element.removeAttribute("aria-valuenow");
    else this.element.setAttribute("aria-valuenow", String(Math.round(fraction * 100)));
    this.fill.style.width = fraction === null ? "" : `${fraction * 100}%`;
    const spoken = [desc, count].filter(Boolean).join(" ");
    if (spoken) this.element.setAttribute("aria-valuetext", spoken);
    else this.element.removeAttribute("aria-valuetext");

    this.desc.textContent = desc;
    this.count.textContent = count;
  }
}

/** The reported fraction, else index/length, clamped to [0, 1]; null when unknown. */
function fractionOf(message: ProgressMessage): number | null {
  let fraction = message.fraction;
  const { index, length } = message;
  if (typeof fraction !== "number" && typeof index === "number" && typeof length === "number") {
    fraction = length > 0 ? index / length : null;
  }
  if (typeof fraction !== "number" || !Number.isFinite(fraction)) return null;
  return Math.min(1, Math.max(0, fraction));
}

/** "4/10 steps" when counts came, else "40%", else nothing. */
function countText(message: ProgressMessage, fraction: number | null): string {
  const { index, length, unit } = message;
  const suffix = typeof unit === "string" && unit !== "" ? ` ${unit}` : "";
  if (typeof index === "number") {
    return typeof length === "number" ? `${index}/${length}${suffix}` : `${index}${suffix}`;
  }
  return fraction === null ? "" : `${Math.round(fraction * 100)}%`;
}
