// Files the user gives a component (upload, paste, webcam photo). A file above
// the app's `max_file_size` is refused here, before any byte is sent. A file
// the server refuses (too large, not a readable image) does not stay on
// screen: its `set` carries a ref, and an `error` with that ref puts back the
// value the server kept.

import type { AppConfig, ClientMessage, ErrorMessage } from "./protocol";
import { nextRef } from "./refs";
import type { Store } from "./store";
import { showToast } from "./toast";

// The server's limit on one message when the welcome does not say it.
const MAX_MESSAGE = 16 * 1024 * 1024;
// Room for the rest of a `set` around a file's bytes in its binary frame.
const FRAME_HEADROOM = 1024;

/**
 * Bytes one file may hold: the app's `max_file_size`, and in any case what
 * fits in one message, as a larger message would end the session.
 */
export function uploadLimit(config: AppConfig): number {
  const message = typeof config.max_message === "number" ? config.max_message : MAX_MESSAGE;
  const file = typeof config.max_file_size === "number" ? config.max_file_size : Infinity;
  return Math.min(file, message - FRAME_HEADROOM);
}

/** What the uploads need of the connection. */
export interface UploadLink {
  send(message: ClientMessage): void;
  /** Resolves once the server has handled every message sent before it. */
  confirm(): Promise<void>;
}

interface Pending {
  id: number;
  file: Blob;
  previous: unknown;
}

export class Uploads {
  // Uploads the server has not handled yet, by the ref of their `set`.
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly limit: number,
    private readonly store: Store,
    private readonly link: UploadLink,
  ) {}

  /** Whether `file` is within the app's limit; when not, a toast says so. */
  allows(file: Blob): boolean {
    if (file.size <= this.limit) return true;
    showToast(
      `This file is ${sizeText(file.size)}, above this app's limit of ` +
        `${sizeText(this.limit)} per file; it was not sent.`,
      "warning",
    );
    return false;
  }

  /** Shows `file` as block `id`'s value and sends it, unless it is too large. */
  send(id: number, file: Blob): void {
    if (!this.allows(file)) return;
    const ref = nextRef();
    this.pending.set(ref, { id, file, previous: this.store.get(id).value });
    this.store.edit(id, file);
    this.link.send({ type: "set", id, value: file, ref });
    // Handled without an error by the time the pong comes: accepted.
    void this.link.confirm().then(() => this.pending.delete(ref));
  }

  /** An `error` from the server: if it refused an upload, show the value it kept. */
  refused(message: ErrorMessage): void {
    const upload = message.ref === undefined ? undefined : this.pending.get(message.ref);
    if (!upload) return;
    this.pending.delete(message.ref as number);
    // An upload sent after this one would have put this one back.
    for (const later of this.pending.values()) {
      if (later.previous === upload.file) later.previous = upload.previous;
    }
    // A newer edit since then stays on screen.
    if (this.store.get(upload.id).value === upload.file) {
      this.store.edit(upload.id, upload.previous);
    }
  }
}

/** `bytes` as a person reads it; a KB is 1024 bytes, as in `max_file_size="100kb"`. */
export function sizeText(bytes: number): string {
  const units: [string, number][] = [
    ["GB", 1024 ** 3],
    ["MB", 1024 ** 2],
    ["KB", 1024],
  ];
  for (const [unit, scale] of units) {
    if (bytes >= scale) return `${(bytes / scale).toFixed(1).replace(/\.0$/, "")} ${unit}`;
  }
  return `${bytes} bytes`;
}
