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
}

export interface AppConfig {
  title?: string;
  fill_height?: boolean;
  fill_width?: boolean;
  show_error?: boolean;
  css?: string | null;
  js?: string | null;
  root: LayoutNode;
  blocks: Record<string, BlockConfig>;
  listeners: ListenerConfig[];
}

/** `[id, property, value]` replaces; `[id, property, text, "append"]` appends. */
export type Change = [number, string, unknown] | [number, string, string, "append"];

export interface WelcomeMessage {
  type: "welcome";
  protocol: number;
  session: string;
  config: AppConfig;
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
  position?: number;
}

export interface EndMessage {
  type: "end";
  event: number;
  outcome: "done" | "error" | "refused" | "cancelled";
  message?: string;
  outputs?: unknown[];
}

export interface ErrorMessage {
  type: "error";
  code: string;
  message: string;
  ref?: number;
}

export type ServerMessage =
  WelcomeMessage | UpdateMessage | EventMessage | EndMessage | ErrorMessage;

export type ClientMessage =
  | { type: "hello"; protocol: number }
  | { type: "set"; id: number; value: unknown }
  | { type: "trigger"; id: number; event: string; ref?: number };
