// The page's one socket: opens with `hello`, hands every decoded server
// message on, and sends client messages strictly in the order they were made.

import { decodeFrame, encodeMessage } from "./codec";
import { PROTOCOL_VERSION, type ClientMessage, type ServerMessage } from "./protocol";
import { Receipts } from "./receipts";

export type MessageHandler = (message: ServerMessage) => void;

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
  private readonly socket: WebSocket;
  // Frames wait here until `welcome`; a binary frame still being read holds
  // back every later frame so the server sees messages in order.
  private readonly sendQueue: Array<string | Promise<ArrayBuffer>> = [];
  private draining = false;
  private welcomed = false;
  private leaving = false;
  // `ping` refs waiting for their `pong`, oldest first.
  private readonly pings: Array<[ref: number, done: () => void]> = [];
  private nextPing = 1;
  private readonly receipts = new Receipts((received) => this.send({ type: "ack", received }));

  constructor(
    url: string,
    private readonly onMessage: MessageHandler,
  ) {
    this.socket = new WebSocket(url);
    this.socket.binaryType = "arraybuffer";
    this.socket.addEventListener("open", () => this.sendHello());
    this.socket.addEventListener("message", (e: MessageEvent) => this.receive(e.data));
    this.socket.addEventListener("close", () => this.closed());
    window.addEventListener("pagehide", () => (this.leaving = true));
  }

  send(message: ClientMessage): void {
    this.sendQueue.push(encodeMessage(message));
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

  private sendHello(): void {
    this.socket.send(JSON.stringify({ type: "hello", protocol: PROTOCOL_VERSION }));
  }

  private receive(data: string | ArrayBuffer): void {
    let messages: ServerMessage[];
    try {
      messages = decodeFrame(data);
    } catch (err) {
      console.error("reactive_blocks: could not decode a server frame", err);
      return;
    }

    for (const message of messages) {
      if (message.type === "pong") {
        this.ponged(message.ref);
        continue;
      }
      try {
        this.onMessage(message);
      } catch (err) {
        console.error(`reactive_blocks: could not apply a '${message.type}' message`, err);
      }
      if (message.type === "welcome") {
        this.welcomed = true;
        void this.drain();
      }
    }
    this.receipts.count(messages);
  }

  private async drain(): Promise<void> {
    if (this.draining || !this.welcomed) return;
    this.draining = true;
    while (this.sendQueue.length > 0 && this.socket.readyState === WebSocket.OPEN) {
      const frame = this.sendQueue.shift() as string | Promise<ArrayBuffer>;
      try {
        this.socket.send(typeof frame === "string" ? frame : await frame);
      } catch (err) {
        console.error("reactive_blocks: could not send a message", err);
      }
    }
    this.draining = false;
  }

  /** Messages are handled in order, so a pong answers every earlier ping too. */
  private ponged(ref: number): void {
    while (this.pings.length > 0 && this.pings[0][0] <= ref) {
      const [, done] = this.pings.shift() as [number, () => void];
      done();
    }
  }

  private closed(): void {
    if (!this.leaving) showConnectionLost();
  }
}

function showConnectionLost(): void {
  if (document.querySelector(".rb-connection-lost")) return;
  const notice = document.createElement("div");
  notice.className = "rb-connection-lost";
  notice.setAttribute("role", "status");
  notice.textContent = "Connection lost — reload the page";
  document.body.append(notice);
}
