// One entry point for everything the host reports back asynchronously through the fetch
// ops (fetch responses, body chunks, unreferenced timers). The host looks the handler up on
// each event, so it holds no JS handles between tasks; we route by id here.
const listeners = new Map();

export function initHostEvents(ops) {
  ops.fetchSetHandler((id, kind, payload) => {
    const listener = listeners.get(id);
    if (listener) listener(kind, payload);
  });
}

export function listen(id, listener) {
  listeners.set(id, listener);
}

export function unlisten(id) {
  listeners.delete(id);
}
