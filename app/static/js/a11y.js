// Focus and announcements for keyboard and screen-reader users; the pages work without this script.
// - A page returned with errors: focus moves to the error summary (or the first refusal alert).
// - A page reached after an action (a flashed status message): focus moves to the target of the URL's
//   fragment, else to the main heading; the message is announced by the polite status region.
// - Links of an error summary and skip links move the focus to their target (the first control in it
//   when the target itself cannot take the focus).
(() => {
  "use strict";

  const FOCUSABLE = "a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), select:not([disabled]), textarea:not([disabled]), [tabindex]";

  function focusElement(element) {
    if (!element.matches(FOCUSABLE)) {
      element.setAttribute("tabindex", "-1");
    }
    element.focus();
  }

  function firstControl(target) {
    if (target.matches(FOCUSABLE)) {
      return target;
    }
    const controls = Array.from(target.querySelectorAll(FOCUSABLE)).filter((c) => c.getAttribute("tabindex") !== "-1");
    return controls.find((c) => c.checked) || controls[0] || target;
  }

  function targetOf(link) {
    const id = decodeURIComponent(link.hash.slice(1));
    return id ? document.getElementById(id) : null;
  }

  // After "mark as complete", "submit" and other actions that redirect with a message.
  function focusOnLoad() {
    const summary = document.querySelector("[data-error-summary]");
    if (summary) {
      summary.focus();
      // Scrolling to a #fragment of the URL (a form that redirected back to its section) happens after this
      // script and takes the focus back to the page: give it to the summary again once the page has loaded.
      if (location.hash.length > 1) {
        window.addEventListener("load", () => {
          if (document.activeElement === document.body) {
            summary.focus();
          }
        }, { once: true });
      }
      return;
    }
    const status = document.querySelector(".flash-status");
    if (!status || !status.textContent.trim()) {
      return;
    }
    const fragment = location.hash.length > 1 ? document.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
    const heading = document.querySelector("main h1");
    if (fragment) {
      focusElement(fragment);
    } else if (heading) {
      focusElement(heading);
    }
    // Live regions are not read when the page loads with them filled: fill this one again, after the focus
    // move has been spoken, so that the message is announced.
    const messages = Array.from(status.children, (child) => [child, child.textContent]);
    messages.forEach(([child]) => { child.textContent = ""; });
    window.setTimeout(() => messages.forEach(([child, text]) => { child.textContent = text; }), 100);
  }

  let pending = null;

  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[href^='#']");
    if (!link || !(link.closest("[data-error-summary]") || link.classList.contains("skip-link"))) {
      return;
    }
    const target = targetOf(link);
    if (!target) {
      return;
    }
    const destination = link.classList.contains("skip-link") ? target : firstControl(target);
    if (location.hash === link.hash) {
      event.preventDefault();
      focusElement(destination);
    } else {
      pending = destination;  // focused once the page has reacted to the new fragment (quiz.js shows it)
    }
  });

  window.addEventListener("hashchange", () => {
    if (pending) {
      const destination = pending;
      pending = null;
      window.setTimeout(() => focusElement(destination), 0);
    }
  });

  focusOnLoad();
})();
