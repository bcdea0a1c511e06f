// Streaming inputs: how often a streaming component sends a frame, how many
// frames may be on the way at once, and which view hears that the server
// ended its stream (docs/protocol.md, "stream").

import type { AppConfig, ClientMessage, StreamEndMessage } from "./protocol";

// Gradio's default `stream_every`, for a streaming block without listeners.
const DEFAULT_EVERY_S = 0.5;
// Frames sent but not yet handled by the server. On a slow network more would
// wait in the page's outgoing queue, growing without bound; a capture tick
// that finds this many on the way sends nothing.
const MAX_IN_FLIGHT = 2;

/** What the streams need of the connection. */
export interface StreamLink {
  send(message: ClientMessage): void;
  /** Resolves once the server has handled every message sent before it. */
  confirm(): Promise<void>;
}

export type StreamEndWatcher = (message: StreamEndMessage) => void;

export class Streams {
  private readonly every = new Map<number, number>();
  private readonly inFlight = new Map<number, number>();
  private readonly watchers = new Map<number, StreamEndWatcher>();

  /**
   * @param allows Whether a frame is within the app's upload limit; a frame
   *   that is not is skipped (it would be refused).
   */
  constructor(
    config: AppConfig,
    private readonly link: StreamLink,
    private readonly allows: (frame: Blob) => boolean = () => true,
  ) {
    for (const listener of config.listeners) {
      for (const [id, event] of listener.targets) {
        if (event !== "stream") continue;
        const seconds = listener.stream_every ?? DEFAULT_EVERY_S;
        this.every.set(id, Math.min(seconds, this.every.get(id) ?? Infinity));
      }
    }
  }

  /** Seconds between frames of block `id`: the smallest `stream_every` of its listeners. */
  interval(id: number): number {
    return this.every.get(id) ?? DEFAULT_EVERY_S;
  }

  /** Whether another frame of block `id` may go without queueing behind earlier ones. */
  ready(id: number): boolean {
    return (this.inFlight.get(id) ?? 0) < MAX_IN_FLIGHT;
  }

  /** Sends one frame; the first after a stop starts a new stream on the server. */
  send(id: number, frame: Blob): void {
    if (!this.allows(frame)) return;
    this.inFlight.set(id, (this.inFlight.get(id) ?? 0) + 1);
    this.link.send({ type: "stream", id, value: frame });
    void this.link.confirm().then(() => {
      this.inFlight.set(id, Math.max(0, (this.inFlight.get(id) ?? 1) - 1));
    });
  }

  /** Ends block `id`'s stream: the user stopped, or the server ended it. */
  stop(id: number): void {
    this.link.send({ type: "stream_stop", id });
  }

  /** `watcher` hears when the server ends block `id`'s stream. */
  onEnd(id: number, watcher: StreamEndWatcher): void {
    this.watchers.set(id, watcher);
  }

  /** Routes a `stream_end` from the server to its block's view. */
  ended(message: StreamEndMessage): void {
    this.watchers.get(message.id)?.(message);
  }
}
