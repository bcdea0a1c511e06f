// Keeps what the user types in a box safe from server values that were
// computed before the server saw it.

/**
 * Each keystroke goes out as `set`, followed by a `ping`; the `pong` says
 * the server has handled it. A server value arriving before that may be an
 * answer to older text (say, a listener that upper-cases the box as the user
 * types), so it is held back and the box keeps the user's text.
 *
 * Once the server has handled the newest text, a held-back value may still
 * have been its answer to that text, which only the server can tell: the box
 * sends its text once more, and a value held back again that is the same as
 * before is taken as the server's answer and shown.
 */
export class TypedText {
  private sent = 0;
  private handled = 0;
  private heldBack: string | null = null;
  private heldBeforeResend: string | null = null;

  constructor(
    private readonly control: HTMLInputElement | HTMLTextAreaElement,
    /** Sends the box's text as `set`. */
    private readonly send: (text: string) => void,
    /** Resolves once the server has handled everything sent so far. */
    private readonly confirm: () => Promise<void>,
    /** Shows a value the server holds, without sending it back. */
    private readonly show: (value: string) => void,
  ) {}

  /** The user changed the text. */
  typed(): void {
    this.heldBeforeResend = null;
    this.sendText();
  }

  /** Whether a server value may replace the text now; false holds it back. */
  accepts(value: string): boolean {
    if (value === this.control.value || this.handled === this.sent) {
      this.heldBack = null;
      return true;
    }
    this.heldBack = value;
    return false;
  }

  private sendText(): void {
    const mark = ++this.sent;
    this.send(this.control.value);
    void this.confirm().then(() => this.caughtUp(mark));
  }

  private caughtUp(mark: number): void {
    this.handled = Math.max(this.handled, mark);
    if (mark !== this.sent || this.heldBack === null) return;

    const value = this.heldBack;
    this.heldBack = null;
    if (value === this.heldBeforeResend) {
      this.heldBeforeResend = null;
      this.show(value);
    } else {
      this.heldBeforeResend = value;
      this.sendText();
    }
  }
}
