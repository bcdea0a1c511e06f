// Tells the server how many of its messages the page has applied (`ack`),
// so that it can forget the frames it keeps for resuming a session; a server
// left without acknowledgements stops sending once it keeps 8 MiB.

import type { ServerMessage } from "./protocol";

// The protocol's rule: at once after every 64 messages, else 0.2 s after the first unconfirmed one.
const ACK_EVERY = 64;
const ACK_DELAY_MS = 200;

export class Receipts {
  private applied = 0;
  private confirmed = 0;
  private timer = 0;

  constructor(private readonly send: (received: number) => void) {}

  /** How many server messages the page has applied; the welcome is message 0. */
  get received(): number {
    return this.applied;
  }

  /** Counts the messages of one frame, after they were applied. */
  count(messages: readonly ServerMessage[]): void {
    this.applied += messages.length;
    // A frame of acks alone asks for no answer, or the two sides would
    // acknowledge each other's acknowledgements forever.
    if (messages.every((m) => m.type === "ack")) return;
    if (this.applied - this.confirmed >= ACK_EVERY) this.confirm();
    else if (this.timer === 0) this.timer = window.setTimeout(() => this.confirm(), ACK_DELAY_MS);
  }

  private confirm(): void {
    window.clearTimeout(this.timer);
    this.timer = 0;
    if (this.applied === this.confirmed) return;
    this.confirmed = this.applied;
    this.send(this.applied);
  }
}
