// Entry point: connects, renders the app from `welcome`, then routes every
// server message to the store or the status board.

import "katex/dist/katex.css";
import "uplot/dist/uPlot.min.css";
import "./style.css";

import { Connection, socketUrl } from "./connection";
import type { AppConfig, ServerMessage } from "./protocol";
import type { App } from "./render/block";
import { renderTree } from "./render/tree";
import { StatusBoard } from "./status";
import { Store } from "./store";
import { Streams } from "./streams";
import { showToast, toastLevel } from "./toast";
import { Triggers } from "./triggers";
import { Uploads, uploadLimit } from "./uploads";

interface Page {
  status: StatusBoard;
  store: Store;
  streams: Streams;
  uploads: Uploads;
}

function start(): void {
  const mount =
    document.getElementById("app") ?? document.body.appendChild(document.createElement("div"));
  let page: Page | null = null;

  const connection = new Connection(socketUrl(window.location), (message: ServerMessage) => {
    switch (message.type) {
      case "welcome":
        page ??= renderApp(message.config, mount, connection);
        break;
      case "update":
        page?.store.apply(message.changes);
        page?.status.updated(message.changes);
        break;
      case "event":
        page?.status.event(message);
        break;
      case "progress":
        page?.status.progress(message);
        break;
      case "toast":
        showToast(String(message.message ?? ""), toastLevel(message.level), message.duration);
        break;
      case "end":
        page?.status.end(message);
        break;
      case "stream_end":
        page?.streams.ended(message);
        break;
      case "error":
        page?.uploads.refused(message);
        // Frames already on the way when a stream ends are refused; the
        // `stream_end` before them has told the user.
        if (message.code !== "stream_ended") showToast(message.message);
        break;
    }
  });
}

function renderApp(config: AppConfig, mount: HTMLElement, connection: Connection): Page {
  const store = new Store(config.blocks);
  const uploads = new Uploads(uploadLimit(config), store, connection);
  const triggers = new Triggers(config, store, (m) => connection.send(m));
  const streams = new Streams(config, connection, (frame) => uploads.allows(frame));
  const app: App = {
    store,
    edit(id, value) {
      if (value instanceof Blob) {
        uploads.send(id, value);
        return;
      }
      store.edit(id, value);
      connection.send({ type: "set", id, value });
    },
    trigger(id, event) {
      triggers.fire(id, event);
    },
    confirm: () => connection.confirm(),
    streams,
  };

  document.title = config.title ?? "Gradio";
  if (typeof config.css === "string" && config.css !== "") {
    const style = document.createElement("style");
    style.textContent = config.css;
    document.head.append(style);
  }
  mount.classList.add("rb-app");
  mount.classList.toggle("rb-fill-height", config.fill_height === true);
  mount.classList.toggle("rb-fill-width", config.fill_width === true);
  mount.replaceChildren(renderTree(config, app));

  runAppScript(config.js);
  const elementOf = (id: number): HTMLElement | undefined =>
    mount.querySelector<HTMLElement>(`[data-block-id="${id}"]`) ?? undefined;
  return { store, streams, uploads, status: new StatusBoard(config, elementOf) };
}

/** Calls the app's `js` function expression once, after the first render. */
function runAppScript(js: string | null | undefined): void {
  if (typeof js !== "string" || js.trim() === "") return;
  try {
    const fn: unknown = new Function(`return (${js});`)();
    if (typeof fn === "function") fn();
  } catch (err) {
    console.error("reactive_blocks: the app's js function failed", err);
  }
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
