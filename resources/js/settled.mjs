// Promises for reads the host answers in place (`AsyncOps::runNow`: the op's promise is
// settled when it returns). An `async` method that awaits one hands back a promise still
// pending (a microtask per await); these helpers keep it fulfilled, so the Python SDK takes
// the value in the same trip (the entrypoint helper's `callRpc`) instead of through then().
// Values, errors and their order are an async method's: a throw becomes a rejection.

// `promise.then(f)`, with `f` run at once when `promise` is fulfilled already.
export function thenNow(ops, promise, f) {
  const value = ops.promiseResult(promise, promise);
  return value === promise ? promise.then(f) : promised(() => f(value));
}

// `fn()` as an async function's body would give it: a synchronous throw as a rejection.
export function promised(fn) {
  try {
    return Promise.resolve(fn());
  } catch (e) {
    return Promise.reject(e);
  }
}
