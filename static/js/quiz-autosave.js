// Progressive enhancement: save the quiz answers as the learner goes, so a session
// that ends while the quiz is open loses nothing. The server only stores them (it
// never grades a saved sheet); without JavaScript the form works as before.
(() => {
  const form = document.querySelector("form[data-autosave-url]");
  if (!form || !window.fetch || !window.FormData) return;
  const url = form.dataset.autosaveUrl;
  const status = document.getElementById(form.dataset.autosaveStatus);
  const DELAY_MS = 600;
  // The words come from the page (data-autosave-saved, -signed-out, -failed: in the
  // page's language); English if the page gives none.
  const words = {
    saved: form.dataset.autosaveSaved || "Answers saved",
    signedOut:
      form.dataset.autosaveSignedOut ||
      "You were signed out: submit to keep your answers, then sign in.",
    failed: form.dataset.autosaveFailed || "Answers not saved",
  };
  let timer = null;
  let changes = 0; // bumped on every change; a reply only counts for the latest one
  let sending = false;
  let again = false;

  const show = (text) => {
    // The same text again is not announced again: the status stays unobtrusive.
    if (status && status.textContent !== text) status.textContent = text;
  };

  const save = async () => {
    if (sending) { again = true; return; } // one request at a time, so replies stay in order
    sending = true;
    const sent = changes;
    try {
      const response = await fetch(url, {
        method: "POST",
        body: new FormData(form), // includes the form's CSRF token
        credentials: "same-origin",
        redirect: "manual", // signed out: the login redirect is a failure, not a page
      });
      if (response.status === 204) {
        if (sent === changes) show(words.saved);
      } else if (response.type === "opaqueredirect") {
        show(words.signedOut);
      } else {
        show(words.failed);
      }
    } catch (error) {
      show(words.failed);
    } finally {
      sending = false;
      if (again) { again = false; save(); }
    }
  };

  const schedule = () => {
    changes += 1;
    show("");
    clearTimeout(timer);
    timer = setTimeout(save, DELAY_MS);
  };

  form.addEventListener("change", schedule);
  form.addEventListener("input", schedule); // typing, before the field loses focus
  // The submit carries every answer itself; a late save would only be refused.
  form.addEventListener("submit", () => clearTimeout(timer));
})();
