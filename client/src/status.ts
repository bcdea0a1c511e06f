// Feedback on listener runs: a pending indicator on each output block from
// the first `event` to the `end` (queue position and wait while queued,
// elapsed time and progress while running), toasts for failed runs, and the
// scroll to a listener's output when it asks for one.

import type {
  AppConfig,
  Change,
  EndMessage,
  EventMessage,
  ListenerConfig,
  ProgressMessage,
  ShowProgress,
} from "./protocol";
import { ProgressBar } from "./progress";
import { showToast } from "./toast";

const TICK_MS = 100;
// Layouts and buttons get no indicator: it would cover a whole section, or
// become part of a button's accessible name. State and timers draw nothing.
const NO_INDICATOR = new Set([
  "blocks",
  "row",
  "column",
  "group",
  "tabs",
  "tab",
  "accordion",
  "button",
  "state",
  "timer",
]);

/** One output block's indicator during a run. */
interface Mark {
  id: number;
  block: HTMLElement;
  indicator: HTMLElement;
  progress: ProgressBar | null;
}

interface Run {
  listener: ListenerConfig | undefined;
  mode: ShowProgress;
  started: number;
  marks: Mark[];
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

    // Queued runs say their place and wait; running ones show elapsed time.
    const queued = message.stage === "queued";
    const queue = queued ? queueText(message.position, message.eta) : "";
    if (!queued) run.started = performance.now();
    for (const { indicator } of run.marks) {
      indicator.dataset.stage = message.stage;
      setText(indicator, ".rb-queue", queue);
      setText(indicator, ".rb-status-text", queued ? "" : "0.0s");
    }
    this.tick();
  }

  progress(message: ProgressMessage): void {
    const run = this.runs.get(message.event);
    if (!run || run.mode === "hidden") return;

    for (const mark of run.marks) {
      if (!mark.progress) {
        mark.progress = new ProgressBar(run.mode === "minimal");
        // A minimal bar runs along the block's top edge; a full one sits in the overlay.
        (run.mode === "minimal" ? mark.block : mark.indicator).append(mark.progress.element);
        mark.indicator.dataset.progress = "";
      }
      mark.progress.show(message);
    }
  }

  /**
   * Output that arrives while its run goes on (a generator's yields) should
   * be seen: the overlay on those blocks shrinks to a corner spinner.
   */
  updated(changes: readonly Change[]): void {
    if (this.runs.size === 0) return;
    const ids = new Set(changes.map(([id]) => id));
    for (const run of this.runs.values()) {
      for (const { id, indicator } of run.marks) {
        if (ids.has(id) && indicator.dataset.stage === "running") {
          indicator.classList.add("rb-status-streaming");
        }
      }
    }
  }

  end(message: EndMessage): void {
    const run = this.runs.get(message.event);
    if (run) {
      this.runs.delete(message.event);
      this.clear(run);
    }

    if (message.outcome === "error") {
      showToast(message.message || "Something went wrong while running this event.");
    } else if (message.outcome === "refused" && message.code === "queue_full") {
      showToast(message.message || "The queue is full; try again in a moment.", "warning");
    } else if (message.outcome === "done") {
      // A quick run ends before its status is sent: find its listener by id.
      const listener = this.listeners.get(message.listener);
      if (!listener?.scroll_to_output) return;
      const first = listener.outputs[0];
      const block = first === undefined ? undefined : this.elementOf(first);
      block?.scrollIntoView({ behavior: "smooth", block: "start" });
    }
  }

  private start(listenerId: number): Run {
    const listener = this.listeners.get(listenerId);
    const mode: ShowProgress = listener?.show_progress ?? "full";
    const run: Run = { listener, mode, started: performance.now(), marks: [] };
    if (!listener || mode === "hidden") return run;

    for (const id of listener.outputs) {
      const block = this.elementOf(id);
      const type = this.config.blocks[String(id)]?.type ?? "";
      if (!block || NO_INDICATOR.has(type)) continue;

      const indicator = document.createElement("div");
      indicator.className = `rb-status rb-status-${mode}`;
      indicator.append(span("rb-spinner"), span("rb-queue"), span("rb-status-text"));
      block.append(indicator);
      block.setAttribute("aria-busy", "true");
      run.marks.push({ id, block, indicator, progress: null });
    }
    return run;
  }

  private clear(run: Run): void {
    for (const { block, indicator, progress } of run.marks) {
      indicator.remove();
      progress?.element.remove();
      if (!block.querySelector(":scope > .rb-status")) block.removeAttribute("aria-busy");
    }
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
        for (const { indicator } of run.marks) {
          if (indicator.dataset.stage === "running") {
            setText(indicator, ".rb-status-text", elapsed);
          }
        }
      }
    }, TICK_MS);
  }
}

/** "queue: 3 | 1.5s": the run's place in line, counting from 1, and its likely wait. */
function queueText(position: number | undefined, eta: number | null | undefined): string {
  const place = typeof position === "number" ? `queue: ${position + 1}` : "queued";
  const wait = typeof eta === "number" && Number.isFinite(eta) ? ` | ${eta.toFixed(1)}s` : "";
  return place + wait;
}

function span(className: string): HTMLSpanElement {
  const element = document.createElement("span");
  element.className = className;
  return element;
}

function setText(indicator: HTMLElement, selector: string, text: string): void {
  const target = indicator.querySelector(selector);
  if (target && target.textContent !== text) target.textContent = text;
}
