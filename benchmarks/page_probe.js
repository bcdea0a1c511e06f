// Installed in every benchmarked page before its own scripts run
// (Playwright's add_init_script), the same for each target, so that the
// browser figures come from one method whatever the framework's client does.
//
// It stamps, with performance.now():
// - every animation frame, and the moment after that frame was painted (a
//   message posted from the frame's requestAnimationFrame callback is handled
//   once the frame's style, layout and paint are done);
// - the arrival of each large message (a WebSocket or EventSource message, or
//   a server-sent event read from a fetch body), which in the dashboard is
//   always a plot update;
// - each change to the plot: a stroke on a large canvas, or a mutation inside
//   a large SVG;
// - each keydown, and the moment an input or text shows the awaited text.
// Results are computed in the page by `window.__probe.summary()`.
(() => {
  "use strict";
  // Characters or bytes from which a message counts as a plot update: the
  // dashboard's 10,000 points take 280-400 KB, its other updates under 1 KB.
  const LARGE = 20_000;
  // Canvases and SVGs narrower than this are icons, not plots.
  const PLOT_WIDTH = 200;

  const frames = []; // [frame callback time, painted time]
  const arrivals = [];
  const changes = [];
  const keys = [];
  const shown = [];
  let awaited = null;

  // -- frames: count them, and stamp the moment after each was painted
  const channel = new MessageChannel();
  channel.port1.onmessage = (e) => {
    frames[e.data][1] = performance.now();
  };
  const frame = () => {
    channel.port2.postMessage(frames.push([performance.now(), 0]) - 1);
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);

  // -- arrivals over WebSocket and EventSource: a listener added first runs first
  const sizeOf = (data) =>
    typeof data === "string" ? data.length : (data?.byteLength ?? data?.size ?? 0);
  const arrived = () => arrivals.push(performance.now());
  const stampMessages = (source) =>
    source.addEventListener("message", (e) => {
      if (sizeOf(e.data) >= LARGE) arrived();
    });
  for (const name of ["WebSocket", "EventSource"]) {
    const Native = window[name];
    if (typeof Native !== "function") continue;
    window[name] = class extends Native {
      constructor(...args) {
        super(...args);
        stampMessages(this);
      }
    };
  }

  // -- arrivals as server-sent events read from a fetch body: an event ends at
  // a blank line, which may fall anywhere in a chunk of bytes or text
  const pending = new WeakMap(); // reader -> {size of the event so far, line open}
  const scan = (reader, chunk) => {
    const state = pending.get(reader) ?? { size: 0, open: false };
    // A stream already split into lines (Gradio's client reads one) gives a
    // blank line as an empty chunk.
    if (chunk.length === 0 && typeof chunk === "string") {
      if (state.size >= LARGE) arrived();
      state.size = 0;
      state.open = false;
      pending.set(reader, state);
      return;
    }
    const newline = typeof chunk === "string" ? "\n" : 10;
    const cr = typeof chunk === "string" ? "\r" : 13;
    let from = 0;
    for (let at = chunk.indexOf(newline); at >= 0; at = chunk.indexOf(newline, from)) {
      const length = at - from - (at > from && chunk[at - 1] === cr ? 1 : 0);
      if (length > 0 || state.open) {
        state.size += length;
      } else {
        if (state.size >= LARGE) arrived();
        state.size = 0;
      }
      state.open = false;
      from = at + 1;
    }
    const rest = chunk.length - from;
    if (rest > 0 && !(rest === 1 && chunk[from] === cr)) {
      state.size += rest;
      state.open = true;
    }
    pending.set(reader, state);
  };
  const read = ReadableStreamDefaultReader.prototype.read;
  ReadableStreamDefaultReader.prototype.read = function (...args) {
    return read.apply(this, args).then((result) => {
      const chunk = result.value;
      if (!result.done && (typeof chunk === "string" || chunk instanceof Uint8Array)) {
        scan(this, chunk);
      }
      return result;
    });
  };

  // -- plot changes: canvas strokes and SVG mutations, one stamp per burst
  let changing = false;
  const changed = () => {
    if (changing) return;
    changing = true;
    changes.push(performance.now());
    queueMicrotask(() => {
      changing = false;
    });
  };
  const stroke = CanvasRenderingContext2D.prototype.stroke;
  CanvasRenderingContext2D.prototype.stroke = function (...args) {
    if (this.canvas.width >= PLOT_WIDTH) changed();
    return stroke.apply(this, args);
  };
  const plotSvg = new WeakMap();
  const isPlotSvg = (svg) => {
    let known = plotSvg.get(svg);
    if (known === undefined) {
      known = Number(svg.getAttribute("width")) >= PLOT_WIDTH;
      plotSvg.set(svg, known);
    }
    return known;
  };
  const touchesPlot = (record) => {
    const node = record.target;
    if (node instanceof SVGElement && isPlotSvg(node.ownerSVGElement ?? node)) return true;
    for (const added of record.addedNodes) {
      if (!(added instanceof Element)) continue;
      const svg = added instanceof SVGSVGElement ? added : added.querySelector("svg");
      if (svg && isPlotSvg(svg)) return true;
    }
    return false;
  };

  // -- typed text shown: a value set on an input or textarea, or new text
  const check = (text) => {
    if (awaited !== null && typeof text === "string" && text.includes(awaited)) {
      shown.push([awaited, performance.now()]);
      awaited = null;
    }
  };
  for (const Control of [HTMLInputElement, HTMLTextAreaElement]) {
    const value = Object.getOwnPropertyDescriptor(Control.prototype, "value");
    Object.defineProperty(Control.prototype, "value", {
      ...value,
      set(text) {
        value.set.call(this, text);
        check(text);
      },
    });
  }
  window.addEventListener("keydown", () => keys.push(performance.now()), true);

  new MutationObserver((records) => {
    for (const record of records) {
      if (touchesPlot(record)) {
        changed();
        break;
      }
    }
    if (awaited === null) return;
    for (const record of records) {
      const node = record.target;
      check(node.nodeType === Node.TEXT_NODE ? node.data : node.textContent);
      if (awaited === null) break;
    }
  }).observe(document, {
    subtree: true,
    childList: true,
    attributes: true,
    characterData: true,
  });

  // -- reading the stamps
  const firstAtOrAfter = (sorted, t) => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid] < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const frameTimes = () => frames.map((f) => f[0]);
  /** The painted time of the first frame whose callback ran after `t`; 0 if none yet. */
  const paintAfter = (times, t) => {
    const i = firstAtOrAfter(times, t);
    return i < frames.length ? frames[i][1] : 0;
  };

  // The client's own marks, where it makes them (reactive_blocks does). It
  // keeps only the newest of each in the timeline; an observer sees them all.
  const clientMarks = { "rb:frame": [], "rb:plot-drawn": [] };
  const keepMarks = (entries) => {
    for (const entry of entries) clientMarks[entry.name]?.push(entry.startTime);
  };
  const markObserver = new PerformanceObserver((list) => keepMarks(list.getEntries()));
  markObserver.observe({ type: "mark", buffered: true });

  window.__probe = {
    now: () => performance.now(),

    /** Waits for `text` to appear; its time is kept with the last keydown. */
    expect(text) {
      awaited = text;
    },

    /** How many awaited texts were shown. */
    shown: () => shown.length,

    /** Keydowns and the text shown for each: [key, shown, painted] per shown text. */
    typed() {
      const times = frameTimes();
      return shown.map(([, at]) => {
        const key = keys[firstAtOrAfter(keys, at) - 1] ?? 0;
        return [key, at, paintAfter(times, at)];
      });
    },

    /** How many large messages have been painted so far. */
    painted() {
      const times = frameTimes();
      return arrivals.filter((t) => {
        const c = changes[firstAtOrAfter(changes, t)];
        return c !== undefined && paintAfter(times, c) > 0;
      }).length;
    },

    /** Whether `until` has passed and every large message up to it was painted. */
    settled(until) {
      if (performance.now() < until) return false;
      const times = frameTimes();
      const last = arrivals.filter((t) => t <= until).pop();
      if (last === undefined) return true;
      const c = changes[firstAtOrAfter(changes, last)];
      return c !== undefined && paintAfter(times, c) > 0;
    },

    /** Frames, plot updates and update-to-paint latencies within [start, end]. */
    summary(start, end) {
      const times = frameTimes();
      const inWindow = (t) => t >= start && t <= end;
      const latencies = [];
      const applied = new Set();
      for (const arrival of arrivals.filter(inWindow)) {
        const c = changes[firstAtOrAfter(changes, arrival)];
        const painted = c === undefined ? 0 : paintAfter(times, c);
        if (painted === 0) continue;
        latencies.push(painted - arrival);
        applied.add(c);
        performance.measure("probe:update-to-paint", { start: arrival, end: painted });
      }

      keepMarks(markObserver.takeRecords());
      const frameMarks = clientMarks["rb:frame"];
      const drawn = clientMarks["rb:plot-drawn"].filter(inWindow);
      const clientDraw = [];
      const clientPaint = [];
      for (const at of drawn) {
        const received = frameMarks[firstAtOrAfter(frameMarks, at) - 1];
        const painted = paintAfter(times, at);
        if (received === undefined || painted === 0) continue;
        clientDraw.push(at - received);
        clientPaint.push(painted - received);
        performance.measure("rb:frame-to-paint", { start: received, end: painted });
      }

      return {
        seconds: (end - start) / 1000,
        frames: times.filter(inWindow).length,
        messages: arrivals.filter(inWindow).length,
        applied: [...applied].filter(inWindow).length,
        latencies,
        client_marks: frameMarks.length > 0,
        client_draw: clientDraw,
        client_paint: clientPaint,
      };
    },
  };
})();
