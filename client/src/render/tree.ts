// Builds the DOM for the layout tree: picks each block's renderer, applies
// the props every block shares, and keeps the views subscribed to the store.

import type { AppConfig, LayoutNode, Props } from "../protocol";
import { type App, type BlockFactory, type Changed, type MountedChild, h, touched } from "./block";
import { button } from "./button";
import { chatbot } from "./chatbot";
import { state, timer } from "./hidden";
import { image } from "./image";
import { accordion, blocks, column, group, row, tab, tabs, TabSet } from "./layout";
import { lineplot } from "./lineplot";
import { markdown } from "./markdown";
import { slider } from "./slider";
import { textbox } from "./textbox";

const FACTORIES = new Map<string, BlockFactory>(
  Object.entries({
    blocks,
    row,
    column,
    group,
    tabs,
    tab,
    accordion,
    markdown,
    textbox,
    button,
    slider,
    image,
    lineplot,
    chatbot,
    state,
    timer,
  }),
);

const unsupported: BlockFactory = ({ type }) => {
  const element = h(
    "div",
    "rb-unsupported",
    `Block type “${type}” is not supported by this client.`,
  );
  element.setAttribute("role", "note");
  return { element, update: () => {} };
};

/** Renders `config.root` and everything below it; returns the root element. */
export function renderTree(config: AppConfig, app: App): HTMLElement {
  return renderNode(config.root, config, app).view.element;
}

function renderNode(node: LayoutNode, config: AppConfig, app: App): MountedChild {
  const type = config.blocks[String(node.id)]?.type ?? "unknown";
  const props = app.store.get(node.id);
  const view = (FACTORIES.get(type) ?? unsupported)({ id: node.id, type, props }, app);

  const element = view.element;
  element.dataset.blockId = String(node.id);
  element.classList.add("rb-block", `rb-${type.replace(/[^\w-]/g, "_")}`);
  const shared = new SharedProps(element);
  const paint = (p: Props, changed: Changed): void => {
    shared.update(p, changed);
    view.update(p, changed);
  };
  paint(props, null);
  app.store.watch(node.id, paint);

  const children = (node.children ?? []).map((child) => renderNode(child, config, app));
  if (children.length > 0 && view.mountChildren) {
    view.mountChildren(type === "tabs" ? children : gatherTabs(children, app));
  }
  return { id: node.id, type, view };
}

/** Runs of `tab` blocks outside a `tabs` block share one implicit tab set. */
function gatherTabs(children: MountedChild[], app: App): MountedChild[] {
  const out: MountedChild[] = [];
  let run: MountedChild[] = [];
  const flush = (): void => {
    if (run.length === 0) return;
    const set = new TabSet(app, null);
    set.element.classList.add("rb-block", "rb-tabs");
    set.mountChildren(run);
    out.push({ id: null, type: "tabs", view: set });
    run = [];
  };

  for (const child of children) {
    if (child.type === "tab") run.push(child);
    else {
      flush();
      out.push(child);
    }
  }
  flush();
  return out;
}

/** `visible`, `elem_id` and `elem_classes`, which every block has. */
class SharedProps {
  private classes: string[] = [];

  constructor(private readonly element: HTMLElement) {}

  update(props: Props, changed: Changed): void {
    if (touched(changed, "visible")) this.element.hidden = props.visible === false;
    if (touched(changed, "elem_id") && typeof props.elem_id === "string" && props.elem_id) {
      this.element.id = props.elem_id;
    }
    if (touched(changed, "elem_classes")) {
      this.element.classList.remove(...this.classes);
      this.classes = classList(props.elem_classes);
      this.element.classList.add(...this.classes);
    }
  }
}

function classList(value: unknown): string[] {
  const names = typeof value === "string" ? [value] : Array.isArray(value) ? value : [];
  return names
    .filter((n): n is string => typeof n === "string")
    .flatMap((n) => n.split(/\s+/))
    .filter(Boolean);
}
