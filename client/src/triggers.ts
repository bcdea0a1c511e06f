// Turns a user action on a block into what the server needs: a `trigger`
// for the event, preceded by a `call` for each listener with `js`, whose
// JavaScript function runs here on the values the page holds.

import type { AppConfig, ClientMessage, ListenerConfig } from "./protocol";
import { nextRef } from "./refs";
import type { Store } from "./store";
import { showToast } from "./toast";

type Send = (message: ClientMessage) => void;
type JsFunction = (...args: unknown[]) => unknown;

export class Triggers {
  private readonly byTarget = new Map<string, ListenerConfig[]>();
  private readonly functions = new Map<number, JsFunction>();
  private readonly states = new Set<number>();

  constructor(
    config: AppConfig,
    private readonly store: Store,
    private readonly send: Send,
  ) {
    for (const [id, block] of Object.entries(config.blocks)) {
      if (block.type === "state") this.states.add(Number(id));
    }
    for (const listener of config.listeners) {
      for (const [id, event] of listener.targets) {
        const key = `${id}:${event}`;
        this.byTarget.set(key, [...(this.byTarget.get(key) ?? []), listener]);
      }
    }
  }

  /**
   * Sends what `event` on block `id` sets off: nothing when no listener
   * targets it; otherwise a `call` per listener with `js`, then a `trigger`
   * that skips those, left out when they are all the listeners there are.
   */
  fire(id: number, event: string): void {
    const listeners = this.byTarget.get(`${id}:${event}`) ?? [];
    if (listeners.length === 0) return;
    const scripted = listeners.filter(hasJs);
    if (scripted.length === 0) {
      this.send({ type: "trigger", id, event, ref: nextRef() });
      return;
    }

    const finish = (results: readonly (unknown[] | null)[]): void => {
      scripted.forEach(({ id: listener }, i) => {
        const inputs = results[i];
        if (inputs) this.send({ type: "call", listener, inputs, ref: nextRef() });
      });
      if (scripted.length === listeners.length) return;
      const skip = scripted.map((l) => l.id);
      this.send({ type: "trigger", id, event, ref: nextRef(), skip });
    };

    // Plain results go out at once, in the order of the user's actions; a
    // function that returns a Promise holds back only this action's messages.
    const results = scripted.map((listener) => this.run(listener));
    if (results.some((r) => r instanceof Promise)) void Promise.all(results).then(finish);
    else finish(results as (unknown[] | null)[]);
  }

  /** The values the listener's function returns, or null when it threw. */
  private run(listener: ListenerConfig): unknown[] | null | Promise<unknown[] | null> {
    const failed = (err: unknown): null => {
      console.error(`reactive_blocks: the js function of listener ${listener.id} failed`, err);
      showToast(`The page's script for this event failed: ${messageOf(err)}`);
      return null;
    };

    try {
      const args = [...listener.inputs, ...listener.outputs].map((id) => this.valueOf(id));
      const result = this.compiled(listener)(...args);
      const fills = listener.has_fn === false ? listener.outputs : listener.inputs;
      const sent = fills.map((id) => !this.states.has(id));
      if (!isThenable(result)) return valuesOf(result, sent);
      return Promise.resolve(result).then((r: unknown) => valuesOf(r, sent), failed);
    } catch (err) {
      return failed(err);
    }
  }

  private compiled(listener: ListenerConfig): JsFunction {
    let fn = this.functions.get(listener.id);
    if (!fn) {
      const made: unknown = new Function(`return (${listener.js});`)();
      if (typeof made !== "function") throw new TypeError("the listener's js is not a function");
      fn = made as JsFunction;
      this.functions.set(listener.id, fn);
    }
    return fn;
  }

  /**
   * A copy, so a function that changes its arguments leaves the page's
   * values alone; null for a `state`, whose value stays on the server.
   */
  private valueOf(id: number): unknown {
    const value = this.states.has(id) ? null : this.store.get(id).value;
    return value === undefined ? null : structuredClone(value);
  }
}

function hasJs(listener: ListenerConfig): boolean {
  return typeof listener.js === "string" && listener.js.trim() !== "";
}

/**
 * The values a function's result gives the call, for the components it
 * fills (`sent[i]` false for a `state`, which the server reads itself). An
 * array is the list itself and any other value a list of one, except that:
 * `undefined` fills nothing when nothing is wanted; an array with a place for
 * every component, state included, loses the state places; and an array of
 * another length fills a single wanted value whole.
 */
function valuesOf(result: unknown, sent: readonly boolean[]): unknown[] {
  const wanted = sent.filter(Boolean).length;
  if (result === undefined && wanted === 0) return [];
  if (!Array.isArray(result)) return [result];
  if (result.length === sent.length && wanted < sent.length) {
    return result.filter((_, i) => sent[i]);
  }
  return wanted === 1 && result.length !== 1 ? [result] : result;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === "function";
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
