// EventTarget, Event, CustomEvent, AbortController / AbortSignal, DOMException.
import { check, done, equal, same, sleep, test, throws } from "./_harness.mjs";

await test("EventTarget", async () => {
  const target = new EventTarget();
  const calls = [];
  const listener = (e) => calls.push(["fn", e.type, e.target === target, e.currentTarget === target, e.eventPhase]);
  target.addEventListener("ping", listener);
  target.addEventListener("ping", listener); // duplicate: ignored
  target.addEventListener("ping", { handleEvent(e) { calls.push(["object", this !== undefined]); } });
  target.addEventListener("ping", () => calls.push(["once"]), { once: true });
  const event = new Event("ping");
  equal("dispatchEvent returns true when not cancelled", target.dispatchEvent(event), true);
  same("listeners run in order, once, with target and phase", calls, [["fn", "ping", true, true, 2], ["object", true], ["once"]]);
  equal("currentTarget is null after dispatch", event.currentTarget, null);
  equal("target stays set", event.target, target);
  equal("eventPhase is NONE after dispatch", event.eventPhase, Event.NONE);
  calls.length = 0;
  target.dispatchEvent(new Event("ping"));
  equal("once listener removed and duplicate not added", calls.length, 2);
  target.removeEventListener("ping", listener);
  calls.length = 0;
  target.dispatchEvent(new Event("ping"));
  same("removeEventListener", calls, [["object", true]]);
  await throws("dispatching a non-Event", () => target.dispatchEvent({ type: "x" }), TypeError);
  await throws("Event needs a type", () => new Event(), TypeError);
});

await test("Event flags", async () => {
  const target = new EventTarget();
  const seen = [];
  target.addEventListener("x", (e) => { e.preventDefault(); seen.push(1); });
  target.addEventListener("x", (e) => { e.stopImmediatePropagation(); seen.push(2); });
  target.addEventListener("x", () => seen.push(3));
  const cancelable = new Event("x", { cancelable: true });
  equal("a cancelled event makes dispatchEvent return false", target.dispatchEvent(cancelable), false);
  equal("defaultPrevented", cancelable.defaultPrevented, true);
  same("stopImmediatePropagation skips the rest", seen, [1, 2]);
  const notCancelable = new Event("x");
  target.dispatchEvent(notCancelable);
  equal("preventDefault ignored when not cancelable", notCancelable.defaultPrevented, false);
  const passiveTarget = new EventTarget();
  passiveTarget.addEventListener("p", (e) => e.preventDefault(), { passive: true });
  const passive = new Event("p", { cancelable: true });
  passiveTarget.dispatchEvent(passive);
  equal("preventDefault ignored in passive listeners", passive.defaultPrevented, false);
  const custom = new CustomEvent("c", { detail: { n: 1 } });
  equal("CustomEvent detail", custom.detail.n, 1);
  check("CustomEvent is an Event", custom instanceof Event);
  const reentrant = new EventTarget();
  let inner;
  reentrant.addEventListener("r", (e) => { try { reentrant.dispatchEvent(e); } catch (error) { inner = error; } });
  reentrant.dispatchEvent(new Event("r"));
  check("re-dispatching during dispatch is InvalidStateError", inner instanceof DOMException && inner.name === "InvalidStateError");
  const ac = new AbortController();
  const withSignal = new EventTarget();
  let count = 0;
  withSignal.addEventListener("s", () => count++, { signal: ac.signal });
  withSignal.dispatchEvent(new Event("s"));
  ac.abort();
  withSignal.dispatchEvent(new Event("s"));
  equal("the signal option removes the listener on abort", count, 1);
});

await test("AbortController", async () => {
  const ac = new AbortController();
  const { signal } = ac;
  check("fresh signal", signal instanceof AbortSignal && signal instanceof EventTarget && !signal.aborted && signal.reason === undefined);
  let events = 0, handler = 0;
  signal.addEventListener("abort", () => events++);
  signal.onabort = (e) => { handler++; check("onabort gets the event", e.type === "abort" && e.target === signal); };
  ac.abort();
  ac.abort("again");
  check("abort fires once", events === 1 && handler === 1, `${events}/${handler}`);
  check("default reason is an AbortError DOMException", signal.reason instanceof DOMException && signal.reason.name === "AbortError" && signal.reason.code === 20);
  await throws("throwIfAborted throws the reason", () => signal.throwIfAborted(), DOMException, "AbortError");
  const custom = new AbortController();
  custom.abort(new RangeError("mine"));
  check("custom reason", custom.signal.reason instanceof RangeError && custom.signal.reason.message === "mine");
  const nullReason = AbortSignal.abort(null);
  check("a null reason is kept", nullReason.aborted && nullReason.reason === null);
  check("AbortSignal.abort() default reason", AbortSignal.abort().reason.name === "AbortError");
  await throws("AbortSignal has no public constructor", () => new AbortSignal(), TypeError);
  new AbortController().signal.throwIfAborted();
  check("throwIfAborted passes when not aborted", true);
});

await test("AbortSignal.timeout and any", async () => {
  const keepAlive = setTimeout(() => {}, 1000); // the timeout's host timer does not hold the loop
  const started = Date.now();
  const timed = AbortSignal.timeout(50);
  const reason = await new Promise((resolve) => timed.addEventListener("abort", () => resolve(timed.reason)));
  clearTimeout(keepAlive);
  check("timeout aborts with a TimeoutError", reason instanceof DOMException && reason.name === "TimeoutError", String(reason));
  check("after roughly the delay", Date.now() - started >= 45, `${Date.now() - started} ms`);
  await throws("negative timeout", () => AbortSignal.timeout(-1), TypeError);
  const a = new AbortController(), b = new AbortController();
  const any = AbortSignal.any([a.signal, b.signal]);
  equal("any not aborted yet", any.aborted, false);
  b.abort("from b");
  check("any follows the first source to abort", any.aborted && any.reason === "from b");
  a.abort("from a");
  equal("and keeps that reason", any.reason, "from b");
  equal("any of an aborted signal is aborted at once", AbortSignal.any([AbortSignal.abort("x")]).reason, "x");
  await sleep(1);
});

await test("DOMException", () => {
  const e = new DOMException("msg", "NotFoundError");
  check("is an Error", e instanceof Error && e instanceof DOMException);
  check("name, message and code", e.name === "NotFoundError" && e.message === "msg" && e.code === 8);
  check("stack names the exception", String(e.stack).startsWith("NotFoundError: msg"), String(e.stack).split("\n")[0]);
  equal("defaults", `${new DOMException().name}/${new DOMException().message}`, "Error/");
  equal("unknown names have code 0", new DOMException("", "Custom").code, 0);
  equal("legacy constant", DOMException.ABORT_ERR, 20);
  equal("options form", new DOMException("m", { name: "DataCloneError", cause: 1 }).cause, 1);
  equal("toStringTag", Object.prototype.toString.call(e), "[object DOMException]");
  let caught;
  try { atob("*"); } catch (error) { caught = error; }
  check("atob throws an InvalidCharacterError DOMException", caught instanceof DOMException && caught.name === "InvalidCharacterError");
});

done();
