// The durable outbox: reports and check-ins the patient submitted, in order, each with the
// request_id fixed when it was submitted. Kept in localStorage so it survives a reload, a
// closed tab and a restarted phone. An item leaves the queue only once the server answered
// it (acknowledged, or rejected for good); every retry sends the same request_id, so the
// server replays its first answer and never counts a report twice.
const KEY = "kc.queue.v1";

export function newRequestId() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return "web-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function loadQueue() {
  try {
    const items = JSON.parse(localStorage.getItem(KEY) ?? "[]");
    return Array.isArray(items) ? items : [];
  } catch {
    return [];
  }
}

function saveQueue(items) {
  localStorage.setItem(KEY, JSON.stringify(items));
}

// Appends an item {kind, requestId, request (proto JSON), summary, submittedAt}.
export function enqueue(item) {
  const items = loadQueue();
  items.push(item);
  saveQueue(items);
}

// Removes the item with this request id (after the server answered it).
export function removeFromQueue(requestId) {
  saveQueue(loadQueue().filter((i) => i.requestId !== requestId));
}
