// The page of a lesson not started yet: record the start with a POST once the page
// has loaded (the page's GET records nothing), then show what is now recorded: the
// lesson In Progress, in its status line and in the outline (on the page twice), and
// the course too if this is its first lesson started. The words come from the page,
// in its language. Without JavaScript, the lesson's first completion records the start.
(() => {
  const form = document.getElementById("lesson-start");
  if (!form || !window.fetch || !window.FormData) return;

  const showStarted = () => {
    const status = document.getElementById("lesson-status");
    if (status) status.textContent = form.dataset.status;
    document.querySelectorAll(".outline-current.outline-not_started").forEach((item) => {
      item.classList.replace("outline-not_started", "outline-in_progress");
      item.querySelector(".outline-mark").textContent = "●";
      item.querySelector(".outline-state").textContent = form.dataset.state;
    });
    const badge = document.querySelector("#course-progress .badge");
    if (badge && form.dataset.courseState) {
      badge.classList.replace("text-bg-secondary", "text-bg-primary");
      badge.textContent = form.dataset.courseState;
    }
  };

  fetch(form.action, {
    method: "POST",
    body: new FormData(form), // carries the CSRF token
    credentials: "same-origin",
    redirect: "manual", // signed out: the login page is no answer
    keepalive: true, // sent even if the learner moves on at once
  })
    .then((response) => {
      if (response.status === 204) showStarted();
    })
    .catch(() => {}); // not recorded now: the first completion records it
})();
