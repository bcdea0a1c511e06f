// Toasts: short notices in the page's corner for `toast` messages, failed
// runs and protocol errors. Each closes with its button, and by itself after
// its duration unless that is null.

import type { ToastLevel } from "./protocol";

const DEFAULT_SECONDS = 10;
const TITLES: Record<ToastLevel, string> = { info: "Info", warning: "Warning", error: "Error" };

/**
 * Shows a toast. The same level and text shown again replaces the first, so
 * a message repeated in a loop stays one toast with a fresh timer.
 */
export function showToast(
  message: string,
  level: ToastLevel = "error",
  seconds: number | null = DEFAULT_SECONDS,
): void {
  const stack = toastStack();
  const className = `rb-toast rb-toast-${level}`;
  for (const old of [...stack.children]) {
    const text = old.querySelector(".rb-toast-message")?.textContent;
    if (old.className === className && text === message) old.remove();
  }

  const toast = document.createElement("div");
  toast.className = className;
  // Errors interrupt a screen reader; info and warnings wait their turn.
  toast.setAttribute("role", level === "error" ? "alert" : "status");
  toast.append(span("rb-toast-title", TITLES[level]), span("rb-toast-message", message));
  const close = document.createElement("button");
  close.type = "button";
  close.className = "rb-toast-close";
  close.setAttribute("aria-label", "Dismiss");
  close.textContent = "×";
  close.addEventListener("click", () => toast.remove());
  toast.append(close);
  stack.append(toast);

  if (typeof seconds === "number" && Number.isFinite(seconds) && seconds > 0) {
    window.setTimeout(() => toast.remove(), seconds * 1000);
  }
}

function toastStack(): HTMLElement {
  let stack = document.querySelector<HTMLElement>(".rb-toasts");
  if (!stack) {
    stack = document.createElement("div");
    stack.className = "rb-toasts";
    document.body.append(stack);
  }
  return stack;
}

function span(className: string, text: string): HTMLSpanElement {
  const element = document.createElement("span");
  element.className = className;
  element.textContent = text;
  return element;
}

/** A toast level from the wire; anything unknown counts as info. */
export function toastLevel(value: unknown): ToastLevel {
  return value === "warning" || value === "error" ? value : "info";
}
