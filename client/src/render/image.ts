// Image: shows a Blob through an object URL. When interactive, the user takes
// an image from the sources the block allows: a file chosen or dropped
// ("upload"), a photo from the camera ("webcam"), or a pasted image
// ("clipboard"); each is sent as its bytes in a binary `set`, unless it is
// above the app's `max_file_size` (see uploads.ts). A streaming image instead
// sends a camera frame every `stream_every` seconds while the user records,
// as `stream` messages.

import type { Props } from "../protocol";
import {
  type App,
  type BlockFactory,
  FieldLabel,
  cssLength,
  h,
  isInteractive,
  partId,
  touched,
} from "./block";
import { showToast } from "../toast";
import { Webcam } from "./webcam";

type Source = "upload" | "webcam" | "clipboard";

const SOURCE_NAMES: Record<Source, string> = {
  upload: "Upload",
  webcam: "Webcam",
  clipboard: "Paste",
};
// A stream's frames: JPEG is a tenth of PNG's size for camera pictures.
const STREAM_QUALITY = 0.8;

export const image: BlockFactory = ({ id }, app) => {
  const element = h("div", "rb-field");
  const fileInput = h("input", "rb-file");
  const label = new FieldLabel(id, "Image", (fileInput.id = partId(id, "file")));
  const sourceBar = h("div", "rb-image-sources");
  const frame = h("div", "rb-image-frame");
  const picture = h("img", "rb-picture");
  const empty = h("div", "rb-image-empty", "No image");
  const upload = h("div", "rb-image-upload");
  const pasteHint = h("div", "rb-image-hint", "Paste an image here (Ctrl+V)");
  const clear = h("button", "rb-image-clear", "×");
  const camera = new CameraPanel(id, app, () => layout());
  fileInput.type = "file";
  fileInput.accept = "image/*";
  picture.alt = "";
  clear.type = "button";
  clear.setAttribute("aria-label", "Clear image");
  sourceBar.setAttribute("role", "group");
  sourceBar.setAttribute("aria-label", "Image source");
  upload.append(h("span", "rb-image-hint", "Drop an image here or choose a file"), fileInput);
  frame.append(picture, camera.element, empty, upload, pasteHint, clear);
  element.append(label.element, sourceBar, frame);

  let objectUrl: string | null = null;
  let editable = false;
  let sources: Source[] = ["upload"];
  let source: Source = "upload";
  // `accept` only filters the file picker; a drop or a paste can bring any file.
  const send = (file: Blob | null | undefined): void => {
    if (file && editable && file.type.startsWith("image/")) app.edit(id, file);
  };

  fileInput.addEventListener("change", () => {
    send(fileInput.files?.[0]);
    fileInput.value = "";
  });
  clear.addEventListener("click", () => app.edit(id, null));
  frame.addEventListener("dragover", (e) => {
    if (!editable || !sources.includes("upload")) return;
    e.preventDefault();
    frame.classList.add("rb-dragging");
  });
  frame.addEventListener("dragleave", () => frame.classList.remove("rb-dragging"));
  frame.addEventListener("drop", (e) => {
    if (!editable || !sources.includes("upload")) return;
    e.preventDefault();
    frame.classList.remove("rb-dragging");
    send(e.dataTransfer?.files[0]);
  });
  frame.addEventListener("paste", (e) => {
    if (!editable || !sources.includes("clipboard")) return;
    const file = [...(e.clipboardData?.files ?? [])].find((f) => f.type.startsWith("image/"));
    if (!file) return;
    e.preventDefault();
    send(file);
  });

  const choose = (chosen: Source): void => {
    if (chosen === "clipboard") {
      void pasted().then(send, () =>
        showToast("No image to paste: copy one, then press Ctrl+V here", "warning"),
      );
      return;
    }
    source = chosen;
    if (chosen === "webcam") camera.open();
    else camera.close();
    layout();
  };

  const layout = (): void => {
    const hasImage = !picture.hidden;
    const webcamShown = editable && source === "webcam";
    const live = webcamShown && camera.live;
    sourceBar.hidden = !editable || sources.length < 2;
    for (const button of sourceBar.querySelectorAll<HTMLButtonElement>("button")) {
      button.setAttribute("aria-pressed", String(button.dataset.source === source));
    }
    upload.hidden = !editable || source !== "upload";
    pasteHint.hidden = !editable || source !== "clipboard" || hasImage;
    label.tie(editable && source === "upload" ? fileInput.id : null);
    camera.element.hidden = !webcamShown;
    picture.classList.toggle("rb-covered", live);
    clear.hidden = !(editable && hasImage) || camera.streaming || live;
    empty.hidden = editable || hasImage;
    frame.classList.toggle("rb-editable", editable);
    frame.tabIndex = editable && sources.includes("clipboard") ? 0 : -1;
  };

  const show = (value: unknown): void => {
    if (objectUrl) URL.revokeObjectURL(objectUrl);
    objectUrl = value instanceof Blob ? URL.createObjectURL(value) : null;
    const src = objectUrl ?? imageUrl(value);
    if (src) picture.src = src;
    else picture.removeAttribute("src");
    picture.hidden = src === null;
    frame.classList.toggle("rb-has-image", src !== null);
  };

  // The clipboard is an action, not a view: the frame shows the first other source.
  const setSources = (props: Props): void => {
    sources = sourcesOf(props);
    if (!sources.includes(source) || source === "clipboard") {
      source = sources.find((s) => s !== "clipboard") ?? "clipboard";
      camera.close();
    }
    sourceBar.replaceChildren(
      ...sources.map((s) => {
        const button = h("button", "rb-image-source", SOURCE_NAMES[s]);
        button.type = "button";
        button.dataset.source = s;
        button.addEventListener("click", () => choose(s));
        return button;
      }),
    );
  };

  return {
    element,
    update(props, changed) {
      label.update(props, changed);
      if (touched(changed, "value")) show(props.value);
      if (touched(changed, "label")) {
        picture.alt = typeof props.label === "string" ? props.label : "Image";
      }
      if (touched(changed, "sources")) setSources(props);
      if (touched(changed, "streaming", "mirror_webcam")) camera.configure(props);
      if (touched(changed, "interactive")) {
        editable = isInteractive(props);
        fileInput.disabled = !editable;
      }
      // A camera that nobody can see or use is let go.
      if (!editable || props.visible === false) camera.close();
      if (touched(changed, "value", "interactive", "sources")) layout();
      if (touched(changed, "height")) frame.style.height = cssLength(props.height);
      if (touched(changed, "width")) frame.style.width = cssLength(props.width);
    },
  };
};

/**
 * The webcam source: a live preview with one action button. For a still
 * image the button opens the camera, then takes one photo and sends it as
 * the value. For a streaming image it records: while on, a frame goes every
 * `stream_every` seconds, and it stops when the user says so, when the tab
 * hides, or when the server ends the stream at its time limit.
 */
class CameraPanel {
  readonly element = h("div", "rb-webcam");
  streaming = false;
  private readonly webcam = new Webcam();
  private readonly action = h("button", "rb-webcam-action");
  private recording = false;
  private timer = 0;
  private capturing = false;

  constructor(
    private readonly id: number,
    private readonly app: App,
    private readonly changed: () => void,
  ) {
    this.action.type = "button";
    this.action.addEventListener("click", () => this.act());
    this.element.append(this.webcam.video, this.action);
    app.streams.onEnd(id, (message) => {
      if (!this.recording) return;
      this.stopRecording();
      showToast(message.message, "info");
    });
    document.addEventListener("visibilitychange", () => {
      if (document.hidden && this.recording) this.stopRecording();
    });
    this.label();
  }

  get live(): boolean {
    return this.webcam.live;
  }

  configure(props: Props): void {
    this.streaming = props.streaming === true;
    this.webcam.mirrored = props.mirror_webcam !== false;
    this.label();
  }

  /** The user picked the webcam: show its picture. */
  open(): void {
    if (!this.streaming) void this.startCamera();
  }

  /** The webcam is no longer wanted: stop recording and let the camera go. */
  close(): void {
    if (this.recording) this.stopRecording();
    this.webcam.stop();
    this.label();
  }

  private act(): void {
    if (this.streaming) {
      if (this.recording) this.stopRecording();
      else void this.startRecording();
    } else if (this.webcam.live) void this.takePhoto();
    else void this.startCamera();
  }

  private async startCamera(): Promise<boolean> {
    try {
      const started = await this.webcam.start();
      this.label();
      this.changed();
      return started;
    } catch (err) {
      showToast(`The webcam could not be opened: ${messageOf(err)}`);
      return false;
    }
  }

  private async takePhoto(): Promise<void> {
    const photo = await this.webcam.capture("image/png");
    if (!photo) return;
    this.webcam.stop();
    this.label();
    this.app.edit(this.id, photo);
    this.changed();
  }

  private async startRecording(): Promise<void> {
    this.recording = true;
    this.label();
    if (!(await this.startCamera()) || !this.recording) {
      this.recording = false;
      this.label();
      return;
    }
    const every = this.app.streams.interval(this.id) * 1000;
    this.timer = window.setInterval(() => void this.sendFrame(), every);
    void this.sendFrame();
  }

  /** Stops sending frames and tells the server, so the next recording is a new stream. */
  private stopRecording(): void {
    this.recording = false;
    window.clearInterval(this.timer);
    this.webcam.stop();
    this.app.streams.stop(this.id);
    this.label();
    this.changed();
  }

  private async sendFrame(): Promise<void> {
    if (this.capturing || !this.app.streams.ready(this.id)) return;
    this.capturing = true;
    try {
      const frame = await this.webcam.capture("image/jpeg", STREAM_QUALITY);
      if (frame && this.recording) this.app.streams.send(this.id, frame);
    } finally {
      this.capturing = false;
    }
  }

  private label(): void {
    let text: string;
    if (this.streaming) text = this.recording ? "Stop" : "Record";
    else text = this.webcam.live ? "Capture" : "Open webcam";
    if (this.action.textContent !== text) this.action.textContent = text;
    this.action.classList.toggle("rb-recording", this.recording);
    this.element.classList.toggle("rb-webcam-live", this.webcam.live);
  }
}

function sourcesOf(props: Props): Source[] {
  const given = Array.isArray(props.sources) ? props.sources : ["upload"];
  const known = given.filter((s): s is Source => s in SOURCE_NAMES);
  return known.length > 0 ? known : ["upload"];
}

/** The first image on the system clipboard; rejects when there is none or no access. */
async function pasted(): Promise<Blob> {
  for (const item of await navigator.clipboard.read()) {
    const type = item.types.find((t) => t.startsWith("image/"));
    if (type) return item.getType(type);
  }
  throw new Error("no image on the clipboard");
}

/** A URL the server may send instead of bytes: a string or `{url}`. */
function imageUrl(value: unknown): string | null {
  if (typeof value === "string" && value !== "") return value;
  if (value && typeof value === "object" && typeof (value as { url?: unknown }).url === "string") {
    return (value as { url: string }).url;
  }
  return null;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
