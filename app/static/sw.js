// Service worker: keeps the pages a signed-in trainee has opened readable offline (see app/core/offline.py).
// - GET only. Forms (POST) are never answered, stored or replayed here: without a connection they fail,
//   and js/pwa.js says that the action needs one.
// - Static files: served from the cache, refreshed in the background.
// - Pages: from the network; a page the server marks X-Offline-Page is kept in the cache of the person
//   it was rendered for (X-Offline-User). Without a connection, a kept page of the current person is
//   shown, otherwise the "needs a connection" page.
// - A page of nobody (signed out, session ended) or a "logout" message drops every kept page.
"use strict";

const VERSION = "v1";
const STATIC_CACHE = `academy-static-${VERSION}`;
const PAGES_PREFIX = "academy-pages-";
const META_CACHE = "academy-meta";
const SCOPE = new URL(self.registration.scope);
const STATIC_PATH = new URL("static/", SCOPE).pathname;
const PRECACHE = [
  "static/vendor/bootstrap/bootstrap.min.css",
  "static/vendor/bootstrap/bootstrap.bundle.min.js",
  "static/css/app.css",
  "static/js/app.js",
  "static/js/a11y.js",
  "static/js/pwa.js",
  "static/icons/icon-192.png",
  "static/icons/favicon-32.png",
  "offline?locale=zh_CN",
  "offline?locale=en",
].map((path) => new URL(path, SCOPE).href);

let currentUser = null; // the key of the person whose pages are kept (also stored in META_CACHE)
let currentLang = null;

async function readMeta(key) {
  const cache = await caches.open(META_CACHE);
  const response = await cache.match(new URL(`__meta/${key}`, SCOPE).href);
  return response ? response.text() : null;
}

async function writeMeta(key, value) {
  const cache = await caches.open(META_CACHE);
  await cache.put(new URL(`__meta/${key}`, SCOPE).href, new Response(value));
}

async function user() {
  if (currentUser === null) currentUser = (await readMeta("user")) || "";
  return currentUser;
}

// Drop the kept pages of everyone but `keep` (of everyone when keep is empty).
async function forgetPages(keep = "") {
  const names = await caches.keys();
  await Promise.all(
    names.filter((name) => name.startsWith(PAGES_PREFIX) && name !== PAGES_PREFIX + keep).map((name) => caches.delete(name))
  );
  if (!keep) {
    currentUser = "";
    await writeMeta("user", "");
  }
}

async function remember(request, response) {
  if (!response.ok || !(response.headers.get("Content-Type") || "").startsWith("text/html")) return;
  const key = response.headers.get("X-Offline-User");
  if (!key) {
    await forgetPages(); // signed out: nobody's pages stay on this device
    return;
  }
  if (key !== (await user())) {
    await forgetPages(key); // another person signed in on this device
    currentUser = key;
    await writeMeta("user", key);
  }
  if (response.headers.get("X-Offline-Page") && !response.redirected) {
    const cache = await caches.open(PAGES_PREFIX + key);
    await cache.put(request.url.split("#")[0], response);
  }
}

async function offlinePage() {
  const lang = currentLang || (await readMeta("lang")) || "zh-CN";
  const url = new URL(`offline?locale=${lang.startsWith("en") ? "en" : "zh_CN"}`, SCOPE).href;
  const cached = await caches.match(url);
  return cached || new Response("需要网络连接 · A network connection is needed", {
    status: 503,
    headers: { "Content-Type": "text/plain; charset=utf-8" },
  });
}

async function page(event) {
  const request = event.request;
  try {
    const response = await fetch(request);
    event.waitUntil(remember(request, response.clone()).catch(() => {}));
    return response;
  } catch (error) {
    const key = await user();
    if (key) {
      const cache = await caches.open(PAGES_PREFIX + key);
      const kept = await cache.match(request.url.split("#")[0], { ignoreVary: true });
      if (kept) return kept;
    }
    return offlinePage();
  }
}

async function staticFile(event) {
  const cache = await caches.open(STATIC_CACHE);
  const cached = await cache.match(event.request, { ignoreVary: true });
  const fresh = fetch(event.request)
    .then((response) => {
      if (response.ok) cache.put(event.request, response.clone());
      return response;
    });
  if (cached) {
    event.waitUntil(fresh.catch(() => {}));
    return cached;
  }
  return fresh;
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(STATIC_CACHE)
      .then((cache) => cache.addAll(PRECACHE.map((url) => new Request(url, { credentials: "omit", cache: "reload" }))))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(
        names.filter((name) => name.startsWith("academy-static-") && name !== STATIC_CACHE).map((name) => caches.delete(name))
      ))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return; // writes always go to the network, never queued
  const url = new URL(request.url);
  if (url.origin !== SCOPE.origin) return;
  if (url.pathname.startsWith(STATIC_PATH)) {
    event.respondWith(staticFile(event));
  } else if (request.mode === "navigate") {
    event.respondWith(page(event));
  }
});

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "logout") {
    event.waitUntil(forgetPages());
  } else if (data.type === "lang" && typeof data.lang === "string") {
    currentLang = data.lang;
    event.waitUntil(writeMeta("lang", data.lang));
  }
});
