// Notices about the page's connection: "Reconnecting…" while a lost
// connection is being resumed, and, once the session is over, a notice with
// a button that reloads the page.

let reconnecting: HTMLElement | null = null;

/**
 * Shows or hides "Reconnecting…". The live region stays in the page, empty
 * while hidden, so that screen readers announce its text when it appears.
 */
export function showReconnecting(shown: boolean): void {
  if (!reconnecting) {
    reconnecting = document.createElement("div");
    reconnecting.className = "rb-reconnecting";
    reconnecting.setAttribute("role", "status");
    reconnecting.setAttribute("aria-live", "polite");
    document.body.append(reconnecting);
  }
  const text = shown ? "Reconnecting…" : "";
  if (reconnecting.textContent !== text) reconnecting.textContent = text;
}

/**
 * Replaces any connection notice with `text` and a Reload button, and makes
 * the app inert: an edit made now would go nowhere.
 */
export function showEnded(text: string): void {
  showReconnecting(false);
  document.querySelector(".rb-expired")?.remove();
  for (const app of document.querySelectorAll(".rb-app")) app.setAttribute("inert", "");

  const notice = document.createElement("div");
  notice.className = "rb-expired";
  notice.setAttribute("role", "alert");
  const message = document.createElement("span");
  message.textContent = text;
  const reload = document.createElement("button");
  reload.type = "button";
  reload.className = "rb-button rb-primary rb-size-sm";
  reload.textContent = "Reload";
  reload.addEventListener("click", () => window.location.reload());
  notice.append(message, reload);
  document.body.append(notice);
}
