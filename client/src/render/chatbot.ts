// Chatbot: a scrolling log of message bubbles, the user's on the right and
// the assistant's on the left, each rendered as sanitised markdown with math.

import { type Delimiter, parseDelimiters } from "../math";
import { type BlockFactory, FieldLabel, cssLength, h, touched } from "./block";
import { renderMarkdown } from "./markdown";

const DEFAULT_HEIGHT = 400;
// Within this many pixels of the end, the log follows new content.
const FOLLOW_SLACK_PX = 24;

interface Message {
  role: string;
  content: string;
}

interface Bubble {
  role: string;
  /** The text on screen; null when it must be rendered again. */
  content: string | null;
  element: HTMLElement;
  body: HTMLElement;
}

export const chatbot: BlockFactory = ({ id }) => {
  const element = h("div", "rb-field");
  const label = new FieldLabel(id, "Chatbot");
  const log = h("div", "rb-chat-log");
  const list = h("div", "rb-chat-messages");
  const placeholder = h("div", "rb-chat-placeholder rb-prose");
  log.setAttribute("role", "log");
  log.setAttribute("aria-labelledby", label.labelId);
  log.tabIndex = 0;
  list.append(placeholder);
  log.append(list);
  element.append(label.element, log);

  const bubbles: Bubble[] = [];
  let value: unknown = null;
  let delimiters: Delimiter[] = [];
  let scheduled = false;

  // Follow the end until the user scrolls away from it, and again once they
  // scroll back; content that grows later (fonts, images) keeps following.
  let following = true;
  const toEnd = (): void => {
    if (following) log.scrollTop = log.scrollHeight;
  };
  log.addEventListener("scroll", () => {
    following = log.scrollHeight - log.scrollTop - log.clientHeight <= FOLLOW_SLACK_PX;
  });
  new ResizeObserver(toEnd).observe(list);

  // A streamed answer grows by many edits per second: parse once per frame,
  // and only the messages whose text changed since the last paint.
  const paint = (): void => {
    scheduled = false;
    const messages = messagesOf(value);
    messages.forEach((message, i) => {
      const bubble = bubbles[i] ?? addBubble(list, bubbles);
      if (bubble.role !== message.role) setRole(bubble, message.role);
      if (bubble.content !== message.content) {
        bubble.content = message.content;
        bubble.body.innerHTML = renderMarkdown(message.content, delimiters);
      }
    });
    for (const extra of bubbles.splice(messages.length)) extra.element.remove();
    placeholder.hidden = messages.length > 0 || placeholder.childElementCount === 0;
    toEnd();
  };

  return {
    element,
    update(props, changed) {
      label.update(props, changed);
      if (touched(changed, "height")) {
        log.style.height = cssLength(props.height ?? DEFAULT_HEIGHT);
      }
      if (touched(changed, "placeholder", "latex_delimiters")) {
        const text = typeof props.placeholder === "string" ? props.placeholder : "";
        const within = parseDelimiters(props.latex_delimiters);
        placeholder.innerHTML = text ? renderMarkdown(text, within) : "";
      }
      if (touched(changed, "latex_delimiters")) {
        delimiters = parseDelimiters(props.latex_delimiters);
        for (const bubble of bubbles) bubble.content = null;
      }
      if (!touched(changed, "value", "latex_delimiters", "placeholder")) return;

      value = props.value;
      if (changed === null) paint();
      else if (!scheduled) {
        scheduled = true;
        requestAnimationFrame(paint);
      }
    },
  };
};

function addBubble(list: HTMLElement, bubbles: Bubble[]): Bubble {
  const bubble: Bubble = {
    role: "",
    content: null,
    element: h("div", "rb-message"),
    body: h("div", "rb-prose"),
  };
  bubble.element.append(bubble.body);
  list.append(bubble.element);
  bubbles.push(bubble);
  return bubble;
}

function setRole(bubble: Bubble, role: string): void {
  bubble.element.classList.remove(`rb-message-${bubble.role}`);
  bubble.role = role;
  bubble.element.classList.add(`rb-message-${role}`);
  bubble.element.dataset.role = role;
}

/** The messages in a chatbot value; roles other than `user` count as the assistant's. */
function messagesOf(value: unknown): Message[] {
  if (!Array.isArray(value)) return [];
  return value.map((item: unknown) => {
    const { role, content } = (item ?? {}) as { role?: unknown; content?: unknown };
    return { role: role === "user" ? "user" : "assistant", content: textOf(content) };
  });
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  return content == null ? "" : JSON.stringify(content);
}
