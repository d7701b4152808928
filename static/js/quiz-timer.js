// Progressive enhancement for a timed quiz: count the server's "Time left" down and
// submit the form when it reaches zero. The deadline is kept on the server, which
// grades a late sheet with the answers saved by then; without JavaScript the text
// the server rendered stays as it is and the quiz works the same.
(() => {
  const timer = document.querySelector("[data-seconds-left]");
  if (!timer) return;
  const form = document.getElementById(timer.dataset.form);
  const text = timer.querySelector("[data-time-left-text]");
  const seconds = Number.parseInt(timer.dataset.secondsLeft, 10);
  if (!form || !text || !Number.isFinite(seconds)) return;
  // Counted from when the page arrived: the server's figure was computed just before,
  // so the page reaches zero at or a moment after the real deadline, never before.
  const end = Date.now() + seconds * 1000;
  let submitted = false;

  // The words come from the page, in its language: data-minute-one, data-minutes,
  // data-second-one, data-seconds, each with {n} for the number; English if absent.
  const words = {
    minute: [timer.dataset.minuteOne || "{n} minute", timer.dataset.minutes || "{n} minutes"],
    second: [timer.dataset.secondOne || "{n} second", timer.dataset.seconds || "{n} seconds"],
  };
  const plural = (n, unit) => words[unit][n === 1 ? 0 : 1].replace("{n}", String(n));

  const tick = () => {
    const left = Math.max(0, Math.ceil((end - Date.now()) / 1000));
    // Minutes while there are more than two of them; seconds near the end.
    const shown = left > 120 ? plural(Math.ceil(left / 60), "minute") : plural(left, "second");
    if (text.textContent !== shown) text.textContent = shown;
    if (left === 0 && !submitted) {
      submitted = true;
      // requestSubmit fires the submit event, so submit-once.js and the autosave see it.
      if (form.requestSubmit) form.requestSubmit();
      else form.submit();
      return;
    }
    if (!submitted) window.setTimeout(tick, 1000);
  };
  tick();
})();
