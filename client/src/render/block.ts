// What every block renderer shares: the view contract, the services a view
// may call, and small DOM helpers for labelled fields.

import type { Props } from "../protocol";
import type { Store } from "../store";
import type { Streams } from "../streams";

/** Services a view uses to talk back to the server. */
export interface App {
  readonly store: Store;
  /**
   * Records a user edit and sends it as `set`. A file above the app's
   * `max_file_size` is neither shown nor sent: a toast names the limit.
   */
  edit(id: number, value: unknown): void;
  /**
   * Sends `trigger` when some listener targets this event of the block,
   * after running the `js` functions of those that have one.
   */
  trigger(id: number, event: string): void;
  /** Resolves once the server has handled every message sent so far. */
  confirm(): Promise<void>;
  /** Frames of streaming inputs (`stream`) and their pace. */
  readonly streams: Streams;
}

export interface BlockSpec {
  id: number;
  type: string;
  props: Props;
}

/** `null` means every property: the first paint. */
export type Changed = ReadonlySet<string> | null;

export interface MountedChild {
  /** `null` for containers the client adds itself (implicit tab sets). */
  id: number | null;
  type: string;
  view: BlockView;
}

export interface BlockView {
  /** The block's root element. */
  readonly element: HTMLElement;
  /** Places rendered children; layouts only. Leaves leave it undefined. */
  mountChildren?(children: readonly MountedChild[]): void;
  /** Brings the view in line with `props`; `changed` names what moved. */
  update(props: Props, changed: Changed): void;
}

export type BlockFactory = (spec: BlockSpec, app: App) => BlockView;

export function touched(changed: Changed, ...keys: string[]): boolean {
  return changed === null || keys.some((k) => changed.has(k));
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text !== undefined) element.textContent = text;
  return element;
}

/** A stable element id for part of a block, e.g. its input. */
export function partId(blockId: number, part: string): string {
  return `rb-${blockId}-${part}`;
}

export function isInteractive(props: Props): boolean {
  return props.interactive !== false;
}

export function numberProp(props: Props, key: string, fallback: number): number {
  const value = props[key];
  return typeof value === "number" && Number.isFinite(value) ? value : fallback;
}

/** A CSS length from a prop: numbers are pixels, strings pass through. */
export function cssLength(value: unknown): string {
  if (typeof value === "number" && Number.isFinite(value)) return `${value}px`;
  return typeof value === "string" ? value : "";
}

/**
 * A field's caption and optional `info` line. The caption is a `<label>`
 * tied to the control when there is one; `show_label: false` hides it from
 * sight but keeps it for assistive technology.
 */
export class FieldLabel {
  readonly element: HTMLElement;
  readonly info: HTMLElement;
  private readonly caption: HTMLElement;

  constructor(
    blockId: number,
    private readonly fallback: string,
    forId?: string,
  ) {
    this.caption = forId ? h("label", "rb-label") : h("span", "rb-label");
    if (forId) this.caption.setAttribute("for", forId);
    this.caption.id = partId(blockId, "label");
    this.info = h("div", "rb-info");
    this.info.id = partId(blockId, "info");
    this.element = h("div", "rb-field-head");
    this.element.append(this.caption, this.info);
  }

  get labelId(): string {
    return this.caption.id;
  }

  update(props: Props, changed: Changed): void {
    if (touched(changed, "label", "show_label")) {
      const label = props.label;
      const text = typeof label === "string" && label !== "" ? label : this.fallback;
      this.caption.textContent = text;
      this.caption.hidden = text === "";
      this.caption.classList.toggle("rb-sr-only", props.show_label === false);
    }
    if (touched(changed, "info")) {
      const info = typeof props.info === "string" ? props.info : "";
      this.info.textContent = info;
      this.info.hidden = info === "";
    }
  }

  /** Ties the caption to a control, or to none while there is nothing to operate. */
  tie(forId: string | null): void {
    if (forId) this.caption.setAttribute("for", forId);
    else this.caption.removeAttribute("for");
  }

  /** Points the control's description at the info line while it has text. */
  describe(control: HTMLElement): void {
    if (this.info.hidden) control.removeAttribute("aria-describedby");
    else control.setAttribute("aria-describedby", this.info.id);
  }
}
