// Frame encoding and decoding. Text frames carry JSON; a binary frame is
// [u32 big-endian header length][JSON header][part bytes...], and inside the
// header's body `{"$bin": i}` stands for part i.

import type { ClientMessage, ServerMessage } from "./protocol";

type PartSpec = [size: number, mime: string];

interface BinaryHeader {
  parts: PartSpec[];
  body: unknown;
}

const FALLBACK_MIME = "application/octet-stream";

/** Decodes one server frame into its messages, in order. */
export function decodeFrame(data: string | ArrayBuffer): ServerMessage[] {
  const body = typeof data === "string" ? JSON.parse(data) : decodeBinary(data);
  return (Array.isArray(body) ? body : [body]) as ServerMessage[];
}

/**
 * Encodes one client message. Messages without bytes become a text frame at
 * once; a message holding Blobs becomes a binary frame once the bytes are read.
 */
export function encodeMessage(message: ClientMessage): string | Promise<ArrayBuffer> {
  const blobs: Blob[] = [];
  const body = replaceBlobs(message, blobs);
  if (blobs.length === 0) return JSON.stringify(message);

  const parts: PartSpec[] = blobs.map((b) => [b.size, b.type || FALLBACK_MIME]);
  return packBinary({ parts, body }, blobs);
}

function decodeBinary(buffer: ArrayBuffer): unknown {
  const view = new DataView(buffer);
  const headerLength = view.getUint32(0, false);
  const headerBytes = new Uint8Array(buffer, 4, headerLength);
  const header = JSON.parse(new TextDecoder().decode(headerBytes)) as BinaryHeader;

  // Parts follow the header back to back, in the order the header lists them.
  const blobs: Blob[] = [];
  let offset = 4 + headerLength;
  for (const [size, mime] of header.parts) {
    blobs.push(new Blob([buffer.slice(offset, offset + size)], { type: mime }));
    offset += size;
  }
  return restoreBlobs(header.body, blobs);
}

async function packBinary(header: BinaryHeader, blobs: Blob[]): Promise<ArrayBuffer> {
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const contents = await Promise.all(blobs.map((b) => b.arrayBuffer()));
  const total = contents.reduce((sum, c) => sum + c.byteLength, 4 + headerBytes.length);

  const frame = new Uint8Array(total);
  new DataView(frame.buffer).setUint32(0, headerBytes.length, false);
  frame.set(headerBytes, 4);
  let offset = 4 + headerBytes.length;
  for (const content of contents) {
    frame.set(new Uint8Array(content), offset);
    offset += content.byteLength;
  }
  return frame.buffer;
}

function isPlaceholder(value: object): value is { $bin: number } {
  const keys = Object.keys(value);
  return (
    keys.length === 1 && keys[0] === "$bin" && Number.isInteger((value as { $bin: unknown }).$bin)
  );
}

function restoreBlobs(value: unknown, blobs: Blob[]): unknown {
  if (Array.isArray(value)) return value.map((v) => restoreBlobs(v, blobs));
  if (value === null || typeof value !== "object") return value;
  if (isPlaceholder(value)) return blobs[value.$bin] ?? null;

  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = restoreBlobs(v, blobs);
  return out;
}

function replaceBlobs(value: unknown, blobs: Blob[]): unknown {
  if (value instanceof Blob) {
    blobs.push(value);
    return { $bin: blobs.length - 1 };
  }
  if (Array.isArray(value)) return value.map((v) => replaceBlobs(v, blobs));
  if (value === null || typeof value !== "object") return value;

  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = replaceBlobs(v, blobs);
  return out;
}
