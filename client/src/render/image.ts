// Image: shows a Blob through an object URL; when interactive, takes a file
// from a file input or a drop and uploads its bytes in a binary `set`.

import {
  type BlockFactory,
  FieldLabel,
  cssLength,
  h,
  isInteractive,
  partId,
  touched,
} from "./block";

export const image: BlockFactory = ({ id }, app) => {
  const element = h("div", "rb-field");
  const fileInput = h("input", "rb-file");
  const label = new FieldLabel(id, "Image", (fileInput.id = partId(id, "file")));
  const frame = h("div", "rb-image-frame");
  const picture = h("img", "rb-picture");
  const empty = h("div", "rb-image-empty", "No image");
  const upload = h("div", "rb-image-upload");
  const clear = h("button", "rb-image-clear", "×");
  fileInput.type = "file";
  fileInput.accept = "image/*";
  picture.alt = "";
  clear.type = "button";
  clear.setAttribute("aria-label", "Clear image");
  upload.append(h("span", "rb-image-hint", "Drop an image here or choose a file"), fileInput);
  frame.append(picture, empty, upload, clear);
  element.append(label.element, frame);

  let objectUrl: string | null = null;
  let editable = false;
  // `accept` only filters the file picker; a drop can bring any file.
  const send = (file: File | undefined): void => {
    if (file && editable && file.type.startsWith("image/")) app.edit(id, file);
  };

  fileInput.addEventListener("change", () => {
    send(fileInput.files?.[0]);
    fileInput.value = "";
  });
  clear.addEventListener("click", () => app.edit(id, null));
  frame.addEventListener("dragover", (e) => {
    if (!editable) return;
    e.preventDefault();
    frame.classList.add("rb-dragging");
  });
  frame.addEventListener("dragleave", () => frame.classList.remove("rb-dragging"));
  frame.addEventListener("drop", (e) => {
    if (!editable) return;
    e.preventDefault();
    frame.classList.remove("rb-dragging");
    send(e.dataTransfer?.files[0]);
  });

  const show = (value: unknown): void => {
    if (objectUrl) URL.revokeObjectURL(objectUrl);
    objectUrl = value instanceof Blob ? URL.createObjectURL(value) : null;
    const src = objectUrl ?? imageUrl(value);
    if (src) picture.src = src;
    else picture.removeAttribute("src");
    picture.hidden = src === null;
    frame.classList.toggle("rb-has-image", src !== null);
  };

  return {
    element,
    update(props, changed) {
      label.update(props, changed);
      if (touched(changed, "value")) show(props.value);
      if (touched(changed, "label")) {
        picture.alt = typeof props.label === "string" ? props.label : "Image";
      }
      if (touched(changed, "interactive")) {
        editable = isInteractive(props);
        frame.classList.toggle("rb-editable", editable);
        upload.hidden = !editable;
        fileInput.disabled = !editable;
        label.tie(editable ? fileInput.id : null);
      }
      if (touched(changed, "value", "interactive")) {
        const hasImage = !picture.hidden;
        clear.hidden = !(editable && hasImage);
        empty.hidden = editable || hasImage;
      }
      if (touched(changed, "height")) frame.style.height = cssLength(props.height);
      if (touched(changed, "width")) frame.style.width = cssLength(props.width);
    },
  };
};

/** A URL the server may send instead of bytes: a string or `{url}`. */
function imageUrl(value: unknown): string | null {
  if (typeof value === "string" && value !== "") return value;
  if (value && typeof value === "object" && typeof (value as { url?: unknown }).url === "string") {
    return (value as { url: string }).url;
  }
  return null;
}
