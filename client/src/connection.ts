// The page's socket: opens with `hello`, hands every decoded server message
// on, and sends the page's messages strictly in the order they were made. A
// connection lost without a close frame is resumed over a new socket, and
// every message either way arrives once, in order (docs/protocol.md,
// "Acknowledgement and resume").

import { decodeFrame, encodeMessage } from "./codec";
import { showEnded, showReconnecting } from "./notices";
import { Outgoing } from "./outgoing";
import {
  PROTOCOL_VERSION,
  type ClientMessage,
  type ResumedMessage,
  type ServerMessage,
} from "./protocol";
import { Receipts } from "./receipts";
import { showToast } from "./toast";
import { sizeText } from "./uploads";

export type MessageHandler = (message: ServerMessage) => void;

// A socket silent this long gets a `ping`; silent as long again, it is dead.
const QUIET_MS = 10_000;
// Attempts after a lost connection: at once, then 0.25 s doubling up to 8 s, ±20%.
const FIRST_RETRY_MS = 250;
const LAST_RETRY_MS = 8_000;
const JITTER = 0.2;
// A session not resumed within this is given up: the page offers a reload.
const GIVE_UP_MS = 120_000;
const NORMAL_CLOSURE = 1000;
const GOING_AWAY = 1001;
const ABNORMAL_CLOSURE = 1006;
const MESSAGE_TOO_BIG = 1009;
// The server's limit on one message until the welcome says otherwise.
const MAX_MESSAGE = 16 * 1024 * 1024;

// Marks each frame's arrival in the page's performance timeline, for
// profilers and the browser benchmark (docs/architecture.md, "Performance marks").
const FRAME_MARK = "rb:frame";

const EXPIRED = "Session expired";
const LOST = "Connection lost";
const TOO_BIG = "Session ended: a message was too large for the server";

/**
 * `opening` waits for the welcome; `open` sends and receives; `resuming`
 * waits for the next attempt or for the answer to a resuming hello; `ended`
 * is final.
 */
type Phase = "opening" | "open" | "resuming" | "ended";

/**
 * The socket address: `ws` under the page's path taken as a folder, so an app
 * mounted at /myapp (with or without the trailing slash) uses /myapp/ws.
 */
export function socketUrl(location: Location): string {
  const folder = location.pathname.endsWith("/") ? location.pathname : `${location.pathname}/`;
  const url = new URL(`${folder}ws`, location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  return url.href;
}

export class Connection {
  private phase: Phase = "opening";
  private socket: WebSocket | null = null;
  // Sockets given up as dead that the server may still take for the
  // session's: a close frame there would end it, so they close once resumed.
  private readonly stale: WebSocket[] = [];
  // Secret that resumes the session; only ever held here, in memory.
  private token: string | null = null;
  private readonly outgoing = new Outgoing();
  private draining = false;
  // `ping` refs waiting for their `pong`, oldest first.
  private readonly pings: Array<[ref: number, done: () => void]> = [];
  private nextPing = 1;
  private readonly receipts = new Receipts((received) => {
    // While disconnected, the resuming hello carries the count instead.
    if (this.phase === "open" && this.token !== null) this.send({ type: "ack", received });
  });
  private quietTimer = 0;
  private pinged = false;
  private retryTimer = 0;
  private retryDelay = 0;
  private lostAt = 0;
  private maxMessage = MAX_MESSAGE;

  constructor(
    private readonly url: string,
    private readonly onMessage: MessageHandler,
  ) {
    showReconnecting(false); // the live region is in the page before it speaks
    this.connect();
    // Closing cleanly tells the server to end the session now, not after its grace.
    window.addEventListener("pagehide", () => this.shut());
    // A page brought back from the back-forward cache ended its session on the way in.
    window.addEventListener("pageshow", (e) => {
      if (e.persisted) window.location.reload();
    });
    // A network that comes back cuts the wait for the next attempt short.
    window.addEventListener("online", () => {
      if (this.phase === "resuming" && this.socket === null) {
        window.clearTimeout(this.retryTimer);
        this.connect();
      }
    });
  }

  /** Queues a message; it goes out once the socket may carry it, after all earlier ones. */
  send(message: ClientMessage): void {
    if (this.phase === "ended") return;
    this.outgoing.push(encodeMessage(message));
    void this.drain();
  }

  /** Resolves once the server has handled every message sent before it. */
  confirm(): Promise<void> {
    const ref = this.nextPing++;
    return new Promise((done) => {
      this.pings.push([ref, done]);
      this.send({ type: "ping", ref });
    });
  }

  private connect(): void {
    const socket = new WebSocket(this.url);
    socket.binaryType = "arraybuffer";
    socket.addEventListener("open", () => this.sendHello(socket));
    socket.addEventListener("message", (e: MessageEvent) => this.receive(socket, e.data));
    socket.addEventListener("close", (e: CloseEvent) => this.closed(socket, e));
    this.socket = socket;
    this.listen();
  }

  private sendHello(socket: WebSocket): void {
    if (socket !== this.socket) return;
    const hello: ClientMessage = { type: "hello", protocol: PROTOCOL_VERSION };
    if (this.phase === "resuming" && this.token !== null) {
      hello.resume = { token: this.token, received: this.receipts.received };
    }
    socket.send(JSON.stringify(hello));
  }

  private receive(socket: WebSocket, data: string | ArrayBuffer): void {
    if (socket !== this.socket) return;
    // Only the newest mark stays in the timeline, so a page open for days does
    // not grow it; a PerformanceObserver still sees every one.
    performance.clearMarks(FRAME_MARK);
    performance.mark(FRAME_MARK);
    this.listen();
    let messages: ServerMessage[];
    try {
      messages = decodeFrame(data);
    } catch (err) {
      console.error("reactive_blocks: could not decode a server frame", err);
      return;
    }

    // The answer to a resuming hello comes alone and is outside the count.
    if (this.phase === "resuming") {
      this.answered(messages[0]);
      return;
    }
    for (const message of messages) {
      if (this.phase === "ended") return;
      this.apply(message);
    }
    this.receipts.count(messages);
  }

  private apply(message: ServerMessage): void {
    switch (message.type) {
      case "pong":
        this.ponged(message.ref);
        return;
      case "ack":
        this.outgoing.confirm(message.received);
        return;
      case "welcome":
        this.token = typeof message.resume_token === "string" ? message.resume_token : null;
        if (typeof message.config?.max_message === "number") {
          this.maxMessage = message.config.max_message;
        }
        this.phase = "open";
        break;
      case "error":
        if (message.code === "session_expired") {
          this.end(EXPIRED);
          return;
        }
        break;
    }
    try {
      this.onMessage(message);
    } catch (err) {
      console.error(`reactive_blocks: could not apply a '${message.type}' message`, err);
    }
    if (message.type === "welcome") void this.drain();
  }

  /** The server's answer to a resuming hello: `resumed`, or why not. */
  private answered(message: ServerMessage | undefined): void {
    if (message?.type !== "resumed") {
      console.warn("reactive_blocks: the session could not be resumed", message);
      this.end(EXPIRED);
      return;
    }
    this.resumed(message);
  }

  private resumed(message: ResumedMessage): void {
    this.token = message.resume_token;
    this.phase = "open";
    this.outgoing.confirm(message.received);
    this.outgoing.rewind();
    for (const socket of this.stale.splice(0)) socket.close(NORMAL_CLOSURE);
    showReconnecting(false);
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    for (;;) {
      const socket = this.socket;
      const frame = this.outgoing.peek();
      if (this.phase !== "open" || socket?.readyState !== WebSocket.OPEN) break;
      if (frame === undefined) break;

      let data: string | ArrayBuffer;
      try {
        data = typeof frame === "string" ? frame : await frame;
      } catch (err) {
        console.error("reactive_blocks: could not read the bytes of a message", err);
        this.outgoing.discard(frame);
        continue;
      }
      // While bytes were read, the socket may have been lost or resumed.
      if (socket !== this.socket || this.outgoing.peek() !== frame) continue;
      // The server ends the session on a message above its limit, and the
      // message would be sent again on every resume: it is never sent.
      const size = this.oversized(data);
      if (size > 0) {
        this.outgoing.discard(frame);
        showToast(
          `This edit is ${sizeText(size)}, above the ${sizeText(this.maxMessage)} ` +
            "one message may carry; it was not sent.",
        );
        continue;
      }
      socket.send(data);
      this.outgoing.written(this.token !== null);
    }
    this.draining = false;
  }

  /** The bytes of `data` when they are above the server's message limit, else 0. */
  private oversized(data: string | ArrayBuffer): number {
    if (typeof data !== "string") return data.byteLength > this.maxMessage ? data.byteLength : 0;
    // UTF-8 takes 1 to 3 bytes per UTF-16 unit: encode only when it could matter.
    if (data.length * 3 <= this.maxMessage) return 0;
    const size = new TextEncoder().encode(data).byteLength;
    return size > this.maxMessage ? size : 0;
  }

  /** Messages are handled in order, so a pong answers every earlier ping too. */
  private ponged(ref: number): void {
    while (this.pings.length > 0 && this.pings[0][0] <= ref) {
      const [, done] = this.pings.shift() as [number, () => void];
      done();
    }
  }

  /** Restarts the heartbeat: each new socket and each frame count as life. */
  private listen(): void {
    this.pinged = false;
    window.clearTimeout(this.quietTimer);
    this.quietTimer = window.setTimeout(() => this.quiet(), QUIET_MS);
  }

  private quiet(): void {
    if (this.phase === "open" && !this.pinged) {
      this.pinged = true;
      this.send({ type: "ping", ref: this.nextPing++ });
      this.quietTimer = window.setTimeout(() => this.quiet(), QUIET_MS);
      return;
    }
    this.dead();
  }

  /** No frame came for too long: give the socket up. */
  private dead(): void {
    const socket = this.socket;
    if (socket === null) return;
    if (this.phase === "resuming") {
      this.socket = null;
      socket.close(NORMAL_CLOSURE);
      this.retry();
    } else if (this.token === null) {
      this.end(LOST);
    } else {
      this.socket = null;
      this.stale.push(socket);
      this.lose();
    }
  }

  private closed(socket: WebSocket, event: CloseEvent): void {
    if (socket !== this.socket || this.phase === "ended") return;
    this.socket = null;
    const lost = event.code === ABNORMAL_CLOSURE || !event.wasClean;
    if (event.code === GOING_AWAY) this.end(EXPIRED);
    // The server ended the session: resuming would send the message again.
    else if (event.code === MESSAGE_TOO_BIG) this.end(TOO_BIG);
    else if (this.phase === "resuming") this.retry();
    else if (lost && this.token !== null) this.lose();
    else this.end(this.token === null ? LOST : EXPIRED);
  }

  /** The connection was lost without a close frame: resume the session. */
  private lose(): void {
    this.phase = "resuming";
    this.lostAt = performance.now();
    this.retryDelay = 0;
    showReconnecting(true);
    this.retry();
  }

  /** Schedules the next attempt, or gives up once the session is surely gone. */
  private retry(): void {
    window.clearTimeout(this.quietTimer);
    const left = GIVE_UP_MS - (performance.now() - this.lostAt);
    if (left <= 0) {
      this.end(EXPIRED);
      return;
    }
    const jitter = 1 + JITTER * (2 * Math.random() - 1);
    const wait = Math.min(left, this.retryDelay * jitter);
    this.retryDelay = Math.min(Math.max(this.retryDelay * 2, FIRST_RETRY_MS), LAST_RETRY_MS);
    this.retryTimer = window.setTimeout(() => this.connect(), wait);
  }

  private end(text: string): void {
    this.shut();
    showEnded(text);
  }

  /** Stops for good, closing every socket cleanly: the server ends the session. */
  private shut(): void {
    this.phase = "ended";
    window.clearTimeout(this.quietTimer);
    window.clearTimeout(this.retryTimer);
    for (const socket of [this.socket, ...this.stale.splice(0)]) socket?.close(NORMAL_CLOSURE);
    this.socket = null;
  }
}
