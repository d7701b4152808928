// Progressive enhancement: disable a form's button once submitted, so a double
// click sends one request. The server is idempotent either way.
document.querySelectorAll("form[data-once]").forEach((form) => {
  form.addEventListener("submit", () => {
    form.querySelectorAll("button[type=submit]").forEach((button) => {
      // Disable after this tick so the click itself is still submitted.
      setTimeout(() => { button.disabled = true; }, 0);
    });
  });
});
