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

// The daily reminder (Periodic Background Sync, where the browser runs it): after the time
// the patient chose, once a day, unless today's exercises are reported. The app keeps the
// settings in the Cache API ("kc-settings"), as a worker has no localStorage.
async function remind() {
  const res = await (await caches.open("kc-settings")).match("/settings/reminder");
  if (!res) return;
  const { time, doneDate, notifiedDate } = await res.json();
  const now = new Date();
  const today = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}-${String(now.getDate()).padStart(2, "0")}`;
  const hhmm = `${String(now.getHours()).padStart(2, "0")}:${String(now.getMinutes()).padStart(2, "0")}`;
  if (!time || hhmm < time || doneDate === today || notifiedDate === today) return;
  await self.registration.showNotification("Time for your knee exercises", {
    body: "Today's exercises are waiting in kneecoach.", icon: "/icons/icon-192.png", tag: "kc-reminder",
    data: { url: "/" },
  });
  await (await caches.open("kc-settings")).put("/settings/reminder",
    new Response(JSON.stringify({ time, doneDate, notifiedDate: today })));
}

self.addEventListener("periodicsync", (event) => {
  if (event.tag === "kc-reminder") event.waitUntil(remind());
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(self.clients.matchAll({ type: "window" }).then((list) =>
    list.length ? list[0].focus() : self.clients.openWindow(event.notification.data?.url ?? "/")));
});
