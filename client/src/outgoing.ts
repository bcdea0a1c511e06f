// The page's messages in the order it made them. Each keeps its number (the
// server counts every message after the hello) until the server confirms it
// handled it, so that a resumed session gets again exactly what it missed.

/** An encoded message: text at once, or a binary frame once its bytes are read. */
export type Frame = string | Promise<ArrayBuffer>;

export class Outgoing {
  private readonly frames: Frame[] = [];
  // The number of frames[0], and of the next message to write on the socket.
  private first = 0;
  private next = 0;

  push(frame: Frame): void {
    this.frames.push(frame);
  }

  /** The next message to write on the current socket, if any waits. */
  peek(): Frame | undefined {
    return this.frames[this.next - this.first];
  }

  /** The peeked message went out; without a resume to serve, it is forgotten. */
  written(keep: boolean): void {
    this.next += 1;
    if (!keep) this.confirm(this.next);
  }

  /**
   * A message whose bytes could not be read is never sent, so the server
   * never counts it: the messages after it (none written yet) move up.
   */
  discard(frame: Frame): void {
    const at = this.frames.indexOf(frame, this.next - this.first);
    if (at >= 0) this.frames.splice(at, 1);
  }

  /** The server handled the first `received` messages: forget them. */
  confirm(received: number): void {
    const count = Math.min(received, this.first + this.frames.length) - this.first;
    if (count <= 0) return;
    this.frames.splice(0, count);
    this.first += count;
    this.next = Math.max(this.next, this.first);
  }

  /** On a resumed socket, write every unconfirmed message again, in order. */
  rewind(): void {
    this.next = this.first;
  }
}
