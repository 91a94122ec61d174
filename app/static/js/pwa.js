// Installable web app: registers the service worker (static/sw.js, served at the site's root) and tells
// the reader when they are offline. Pages work without this script; without a connection, a form is not
// sent (nothing is queued to be sent later) and the banner says that the action needs a connection.
(() => {
  "use strict";

  const script = document.currentScript;
  const banner = document.getElementById("offline-banner");
  const bannerText = banner ? banner.querySelector(".offline-text") : null;

  function tellWorker(message) {
    if ("serviceWorker" in navigator && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage(message);
    }
  }

  // Drop the pages kept for offline reading (the sign-out response also sends Clear-Site-Data).
  function forgetPages() {
    tellWorker({ type: "logout" });
    if (!window.caches) return Promise.resolve();
    return caches.keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith("academy-pages-")).map((n) => caches.delete(n))))
      .catch(() => {});
  }

  function showBanner(message, focus) {
    if (!banner) return;
    banner.hidden = false;
    bannerText.textContent = message;
    if (focus) banner.focus();
  }

  function update() {
    if (!banner) return;
    if (navigator.onLine) {
      banner.hidden = true;
    } else {
      showBanner(banner.dataset.offline, false);
      // A page read from the offline copy: the messages of the visit that saved it are out of date.
      document.querySelectorAll(".flash-status .alert").forEach((alert) => alert.remove());
    }
  }

  if (script && script.dataset.sw && "serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register(script.dataset.sw, { scope: script.dataset.scope })
      .then(() => navigator.serviceWorker.ready)
      .then(() => tellWorker({ type: "lang", lang: document.documentElement.lang }))
      .catch(() => {});
    navigator.serviceWorker.addEventListener("controllerchange", () => {
      tellWorker({ type: "lang", lang: document.documentElement.lang });
    });
  }

  document.addEventListener("submit", (event) => {
    if (event.defaultPrevented) return;
    const form = event.target;
    if (!navigator.onLine) {
      event.preventDefault();
      showBanner(banner ? banner.dataset.action : "", true);
      return;
    }
    if (form.matches("[data-logout]")) {
      // Not awaited: the sign-out goes ahead at once. The worker finishes dropping the kept pages, the
      // response's Clear-Site-Data clears the rest, and the worker drops them too on the signed-out page.
      forgetPages();
    }
  });

  window.addEventListener("online", update);
  window.addEventListener("offline", update);
  update();
})();
