// Current props of every block, keyed by block id, with watchers that hear
// about changes once per applied batch.

import { applyEdits } from "./edits";
import type { BlockConfig, Change, Edit, Props } from "./protocol";

export type PropsWatcher = (props: Props, changed: ReadonlySet<string>) => void;

export class Store {
  private readonly props = new Map<number, Props>();
  private readonly watchers = new Map<number, PropsWatcher[]>();

  constructor(blocks: Record<string, BlockConfig>) {
    for (const [id, block] of Object.entries(blocks)) {
      this.props.set(Number(id), { ...block.props });
    }
  }

  get(id: number): Props {
    return this.props.get(id) ?? {};
  }

  watch(id: number, watcher: PropsWatcher): void {
    const list = this.watchers.get(id);
    if (list) list.push(watcher);
    else this.watchers.set(id, [watcher]);
  }

  /**
   * Applies server changes in order; each touched block's watchers then run
   * once with every property that changed, so a streamed batch of appends
   * costs one repaint.
   */
  apply(changes: readonly Change[]): void {
    const touched = new Map<number, Set<string>>();
    for (const change of changes) {
      const [id, key] = change;
      const props = this.props.get(id);
      if (!props) continue;

      try {
        props[key] = changed(props[key], change);
      } catch (err) {
        console.error(`reactive_blocks: could not apply a change to ${key} of block ${id}`, err);
        continue;
      }
      const keys = touched.get(id);
      if (keys) keys.add(key);
      else touched.set(id, new Set([key]));
    }
    for (const [id, keys] of touched) this.notify(id, keys);
  }

  /** Records a value the user entered, so views showing it stay in step. */
  edit(id: number, value: unknown): void {
    const props = this.props.get(id);
    if (!props) return;
    props.value = value;
    this.notify(id, new Set(["value"]));
  }

  /**
   * Records the value a view kept on screen instead of the one the server
   * sent, without repainting: the next changes the server sends build on it.
   */
  keep(id: number, value: unknown): void {
    const props = this.props.get(id);
    if (props) props.value = value;
  }

  private notify(id: number, keys: ReadonlySet<string>): void {
    const props = this.get(id);
    for (const watcher of this.watchers.get(id) ?? []) watcher(props, keys);
  }
}

function changed(current: unknown, change: Change): unknown {
  if (change[3] === "append") return stringOf(current) + stringOf(change[2]);
  if (change[3] === "edit") return applyEdits(current, change[2] as Edit[]);
  return change[2];
}

function stringOf(value: unknown): string {
  return typeof value === "string" ? value : value == null ? "" : String(value);
}
