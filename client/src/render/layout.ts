// Layout blocks: blocks (the root), row, column, group, tabs, tab, accordion.

import type { Props } from "../protocol";
import {
  type App,
  type BlockFactory,
  type BlockView,
  type Changed,
  type MountedChild,
  h,
  numberProp,
  partId,
  touched,
} from "./block";

/** A plain container: children go straight into the element. */
function container(element: HTMLElement, update: BlockView["update"] = () => {}): BlockView {
  return {
    element,
    update,
    mountChildren: (children) => element.append(...children.map((c) => c.view.element)),
  };
}

export const blocks: BlockFactory = () => container(h("div"));

export const group: BlockFactory = () => container(h("div"));

export const row: BlockFactory = () => {
  const element = h("div");
  return container(element, (props, changed) => {
    if (touched(changed, "variant")) setVariant(element, props);
    if (touched(changed, "equal_height")) {
      element.classList.toggle("rb-equal-height", props.equal_height === true);
    }
  });
};

export const column: BlockFactory = () => {
  const element = h("div");
  return container(element, (props, changed) => {
    if (touched(changed, "variant")) setVariant(element, props);
    if (touched(changed, "scale")) {
      element.style.flexGrow = String(numberProp(props, "scale", 1));
    }
    if (touched(changed, "min_width")) {
      const minWidth = numberProp(props, "min_width", 320);
      element.style.minWidth = `min(${minWidth}px, 100%)`;
    }
  });
};

function setVariant(element: HTMLElement, props: Props): void {
  element.classList.toggle("rb-panel", props.variant === "panel");
  element.classList.toggle("rb-compact", props.variant === "compact");
}

export const accordion: BlockFactory = ({ id }, app) => {
  const element = h("div");
  const header = h("button", "rb-accordion-header");
  const caption = h("span", "rb-accordion-label");
  const body = h("div", "rb-accordion-body");
  header.type = "button";
  header.id = partId(id, "header");
  header.setAttribute("aria-controls", (body.id = partId(id, "body")));
  header.append(caption, h("span", "rb-chevron"));
  element.append(header, body);

  const setOpen = (open: boolean): void => {
    header.setAttribute("aria-expanded", String(open));
    body.hidden = !open;
  };
  header.addEventListener("click", () => {
    const open = header.getAttribute("aria-expanded") !== "true";
    setOpen(open);
    app.trigger(id, open ? "expand" : "collapse");
  });

  return {
    element,
    mountChildren: (children) => body.append(...children.map((c) => c.view.element)),
    update(props, changed) {
      if (touched(changed, "label")) caption.textContent = String(props.label ?? "");
      if (touched(changed, "open")) setOpen(props.open !== false);
    },
  };
};

/** A tab's own element is its panel; the enclosing tab set draws its button. */
export const tab: BlockFactory = () => {
  const element = h("div");
  element.setAttribute("role", "tabpanel");
  element.tabIndex = 0;
  return container(element);
};

export const tabs: BlockFactory = ({ id }, app) => new TabSet(app, id);

interface TabEntry {
  id: number;
  button: HTMLButtonElement;
  panel: HTMLElement;
}

/**
 * A tab bar over panels. Serves both `tabs` blocks and the implicit set that
 * gathers `tab` blocks placed directly in another layout.
 */
export class TabSet implements BlockView {
  readonly element = h("div");
  private readonly bar = h("div", "rb-tab-bar");
  private readonly entries: TabEntry[] = [];
  private selected: number | null = null;

  constructor(
    private readonly app: App,
    private readonly id: number | null,
  ) {
    this.bar.setAttribute("role", "tablist");
    this.bar.addEventListener("keydown", (e) => this.onKey(e));
    this.element.append(this.bar);
  }

  mountChildren(children: readonly MountedChild[]): void {
    for (const child of children) {
      if (child.type === "tab" && child.id !== null) this.add(child.id, child.view.element);
      else this.element.append(child.view.element);
    }
    this.refresh();
  }

  update(props: Props, changed: Changed): void {
    const wanted = this.entries.find((e) => e.id === props.selected && !e.button.hidden);
    if (changed !== null && changed.has("selected") && wanted) this.select(wanted.id);
  }

  private add(id: number, panel: HTMLElement): void {
    const button = h("button", "rb-tab-button");
    button.type = "button";
    button.setAttribute("role", "tab");
    button.id = partId(id, "tab");
    panel.id ||= partId(id, "panel");
    button.setAttribute("aria-controls", panel.id);
    panel.setAttribute("aria-labelledby", button.id);
    button.addEventListener("click", () => this.choose(id));

    this.entries.push({ id, button, panel });
    this.bar.append(button);
    this.element.append(panel);
    this.app.store.watch(id, (_props, changed) => {
      if (touched(changed, "label", "visible", "interactive")) this.refresh();
    });
  }

  private choose(id: number): void {
    if (id === this.selected) return;
    this.select(id);
    this.app.trigger(id, "select");
  }

  /** Redraws the buttons and keeps a visible tab selected. */
  private refresh(): void {
    for (const { id, button } of this.entries) {
      const props = this.app.store.get(id);
      button.textContent = String(props.label ?? "");
      button.hidden = props.visible === false;
      button.disabled = props.interactive === false;
    }

    const current = this.entries.find((e) => e.id === this.selected);
    if (!current || current.button.hidden) {
      const initial = this.id === null ? undefined : this.app.store.get(this.id).selected;
      const preferred = this.entries.find((e) => e.id === initial && !e.button.hidden);
      const first = preferred ?? this.entries.find((e) => !e.button.hidden);
      this.select(first ? first.id : null);
    }
  }

  private select(id: number | null): void {
    this.selected = id;
    for (const entry of this.entries) {
      const on = entry.id === id;
      entry.button.setAttribute("aria-selected", String(on));
      entry.button.tabIndex = on ? 0 : -1;
      entry.panel.classList.toggle("rb-tab-inactive", !on);
    }
  }

  /** Arrow keys, Home and End move between tabs, as the ARIA tabs pattern asks. */
  private onKey(e: KeyboardEvent): void {
    const usable = this.entries.filter((t) => !t.button.hidden && !t.button.disabled);
    const at = usable.findIndex((t) => t.id === this.selected);
    const moves: Record<string, number> = {
      ArrowRight: at + 1,
      ArrowLeft: at - 1 + usable.length,
      Home: 0,
      End: usable.length - 1,
    };
    if (!(e.key in moves) || usable.length === 0) return;

    e.preventDefault();
    const next = usable[moves[e.key] % usable.length];
    this.choose(next.id);
    next.button.focus();
  }
}
