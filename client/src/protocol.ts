// Message shapes of the wire protocol, version 1 (docs/protocol.md).

export const PROTOCOL_VERSION = 1;

export type Props = Record<string, unknown>;

export interface LayoutNode {
  id: number;
  children?: LayoutNode[];
}

export interface BlockConfig {
  type: string;
  props: Props;
}

export type ShowProgress = "full" | "minimal" | "hidden";

export interface ListenerConfig {
  id: number;
  targets: [number, string][];
  inputs: number[];
  outputs: number[];
  show_progress?: ShowProgress;
  api_name?: string | null;
  /** Source of a JavaScript function run in the page before the listener. */
  js?: string | null;
  has_fn?: boolean;
  scroll_to_output?: boolean;
  /** Seconds between the frames a `stream` listener wants. */
  stream_every?: number;
}

export interface AppConfig {
  title?: string;
  fill_height?: boolean;
  fill_width?: boolean;
  show_error?: boolean;
  css?: string | null;
  js?: string | null;
  /** Bytes one uploaded file may hold (`launch(max_file_size=…)`); null for no limit. */
  max_file_size?: number | null;
  /** Bytes one message may hold; the server ends the session on a larger one. */
  max_message?: number;
  root: LayoutNode;
  blocks: Record<string, BlockConfig>;
  listeners: ListenerConfig[];
}

/** `[op, path, argument]`: replace, append, truncate or delete at `path` (docs/protocol.md). */
export type Edit = [op: string, path: (number | string)[], argument?: unknown];

/**
 * `[id, property, value]` replaces; `[id, property, text, "append"]` appends
 * to a string; `[id, property, edits, "edit"]` edits a list or dict in place.
 */
export type Change =
  | [number, string, unknown]
  | [number, string, string, "append"]
  | [number, string, Edit[], "edit"];

export interface WelcomeMessage {
  type: "welcome";
  protocol: number;
  session: string;
  /** Resumes the session over a new socket; absent when the server allows no resume. */
  resume_token?: string | null;
  config: AppConfig;
}

/** The answer to a hello that resumed the session. */
export interface ResumedMessage {
  type: "resumed";
  session: string;
  /** Replaces the previous token, which stopped working. */
  resume_token: string;
  /** How many client messages the server has handled; the page sends the rest again. */
  received: number;
}

export interface UpdateMessage {
  type: "update";
  changes: Change[];
}

export interface EventMessage {
  type: "event";
  event: number;
  listener: number;
  ref?: number;
  stage: "queued" | "running";
  /** Runs ahead of this one in its concurrency group (queued only). */
  position?: number;
  /** Seconds until it likely starts (queued only, when estimable). */
  eta?: number | null;
}

export interface ProgressMessage {
  type: "progress";
  event: number;
  fraction: number | null;
  index?: number | null;
  length?: number | null;
  desc?: string | null;
  unit?: string | null;
}

export type ToastLevel = "info" | "warning" | "error";

export interface ToastMessage {
  type: "toast";
  event?: number;
  level: ToastLevel;
  message: string;
  /** Seconds before it closes itself; null keeps it until closed. */
  duration?: number | null;
}

export interface EndMessage {
  type: "end";
  event: number;
  /** The listener the event ran; its status may never have been sent. */
  listener: number;
  outcome: "done" | "error" | "refused" | "cancelled";
  /** Why a run was refused: `pending`, `replaced` or `queue_full`. */
  code?: string;
  message?: string;
  outputs?: unknown[];
}

export interface ErrorMessage {
  type: "error";
  code: string;
  message: string;
  ref?: number;
}

export interface PongMessage {
  type: "pong";
  ref: number;
}

/** The server ended a component's stream (its `time_limit`); frames are refused until `stream_stop`. */
export interface StreamEndMessage {
  type: "stream_end";
  id: number;
  code: string;
  message: string;
}

/** How many client messages the server has handled since the hello. */
export interface AckMessage {
  type: "ack";
  received: number;
}

export type ServerMessage =
  | WelcomeMessage
  | UpdateMessage
  | EventMessage
  | ProgressMessage
  | ToastMessage
  | EndMessage
  | PongMessage
  | AckMessage
  | ResumedMessage
  | StreamEndMessage
  | ErrorMessage;

export type ClientMessage =
  | { type: "hello"; protocol: number; resume?: { token: string; received: number } }
  | { type: "set"; id: number; value: unknown; ref?: number }
  | { type: "ping"; ref: number }
  | { type: "ack"; received: number }
  | { type: "trigger"; id: number; event: string; ref?: number; skip?: number[] }
  | { type: "call"; listener: number; inputs: unknown[]; ref?: number }
  | { type: "stream"; id: number; value: Blob }
  | { type: "stream_stop"; id: number };
