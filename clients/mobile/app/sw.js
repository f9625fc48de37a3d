// Keeps the app shell available offline: network first (so an update lands as soon as the
// phone is online), the cached copy when the network fails. RPCs (POST) are never cached:
// what the app shows offline comes from its own saved copy of today's session.
const CACHE = "kneecoach-shell-v2";
const SHELL = ["/", "/index.html", "/app.js", "/style.css", "/manifest.webmanifest", "/favicon.ico",
  "/icons/icon-192.png"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin) return;
  event.respondWith(
    fetch(req)
      .then((res) => {
        if (res.ok) {
          const copy = res.clone();
          caches.open(CACHE).then((c) => c.put(req, copy));
        }
        return res;
      })
      .catch(async () => {
        const hit = (await caches.match(req, { ignoreSearch: true })) ??
          (req.mode === "navigate" ? await caches.match("/index.html") : undefined);
        return hit ?? new Response("offline", { status: 503 });
      }),
  );
});
