// Feedback on listener runs: a pending indicator on each output block from
// the first `event` to the `end`, and toasts for failed runs and errors.

import type { AppConfig, EndMessage, EventMessage, ListenerConfig, ShowProgress } from "./protocol";

const TOAST_MS = 10_000;
const TICK_MS = 100;
// Layouts and buttons get no indicator: it would cover a whole section, or
// become part of a button's accessible name.
const NO_INDICATOR = new Set([
  "blocks",
  "row",
  "column",
  "group",
  "tabs",
  "tab",
  "accordion",
  "button",
]);

interface Run {
  started: number;
  indicators: HTMLElement[];
  blocks: HTMLElement[];
}

export class StatusBoard {
  private readonly listeners = new Map<number, ListenerConfig>();
  private readonly runs = new Map<number, Run>();
  private timer = 0;

  constructor(
    private readonly config: AppConfig,
    private readonly elementOf: (id: number) => HTMLElement | undefined,
  ) {
    for (const listener of config.listeners) this.listeners.set(listener.id, listener);
  }

  event(message: EventMessage): void {
    let run = this.runs.get(message.event);
    if (!run) {
      run = this.start(message.listener);
      this.runs.set(message.event, run);
    }

    // Queued runs say how many are ahead; running ones show elapsed time.
    const text = message.stage === "queued" ? queuedText(message.position) : "0.0s";
    if (message.stage === "running") run.started = performance.now();
    for (const indicator of run.indicators) {
      indicator.dataset.stage = message.stage;
      setText(indicator, text);
    }
    this.tick();
  }

  end(message: EndMessage): void {
    const run = this.runs.get(message.event);
    if (run) {
      this.runs.delete(message.event);
      for (const indicator of run.indicators) indicator.remove();
      for (const block of run.blocks) {
        if (!block.querySelector(":scope > .rb-status")) block.removeAttribute("aria-busy");
      }
    }
    if (message.outcome === "error") {
      showToast(message.message || "Something went wrong while running this event.");
    }
  }

  private start(listenerId: number): Run {
    const listener = this.listeners.get(listenerId);
    const mode: ShowProgress = listener?.show_progress ?? "full";
    const run: Run = { started: performance.now(), indicators: [], blocks: [] };
    if (!listener || mode === "hidden") return run;

    for (const id of listener.outputs) {
      const block = this.elementOf(id);
      const type = this.config.blocks[String(id)]?.type ?? "";
      if (!block || NO_INDICATOR.has(type)) continue;

      const indicator = document.createElement("div");
      indicator.className = `rb-status rb-status-${mode}`;
      indicator.append(span("rb-spinner"), span("rb-status-text"));
      block.append(indicator);
      block.setAttribute("aria-busy", "true");
      run.indicators.push(indicator);
      run.blocks.push(block);
    }
    return run;
  }

  /** Keeps the elapsed time of running events ticking while any is pending. */
  private tick(): void {
    if (this.timer !== 0) return;
    this.timer = window.setInterval(() => {
      if (this.runs.size === 0) {
        clearInterval(this.timer);
        this.timer = 0;
        return;
      }
      const now = performance.now();
      for (const run of this.runs.values()) {
        const elapsed = `${((now - run.started) / 1000).toFixed(1)}s`;
        for (const indicator of run.indicators) {
          if (indicator.dataset.stage === "running") setText(indicator, elapsed);
        }
      }
    }, TICK_MS);
  }
}

function queuedText(position: number | undefined): string {
  return position ? `queued · ${position} ahead` : "queued";
}

function span(className: string): HTMLSpanElement {
  const element = document.createElement("span");
  element.className = className;
  return element;
}

function setText(indicator: HTMLElement, text: string): void {
  const target = indicator.querySelector(".rb-status-text");
  if (target && target.textContent !== text) target.textContent = text;
}

/** A dismissable error toast; the same text shown twice restarts its timer. */
export function showToast(message: string): void {
  let stack = document.querySelector<HTMLElement>(".rb-toasts");
  if (!stack) {
    stack = document.createElement("div");
    stack.className = "rb-toasts";
    document.body.append(stack);
  }

  const existing = [...stack.children].find(
    (t) => t.querySelector(".rb-toast-message")?.textContent === message,
  );
  existing?.remove();
  const toast = document.createElement("div");
  toast.className = "rb-toast";
  toast.setAttribute("role", "alert");
  const title = span("rb-toast-title");
  const text = span("rb-toast-message");
  const close = document.createElement("button");
  title.textContent = "Error";
  text.textContent = message;
  close.type = "button";
  close.className = "rb-toast-close";
  close.setAttribute("aria-label", "Dismiss");
  close.textContent = "×";
  close.addEventListener("click", () => toast.remove());
  toast.append(title, text, close);
  stack.append(toast);
  window.setTimeout(() => toast.remove(), TOAST_MS);
}
