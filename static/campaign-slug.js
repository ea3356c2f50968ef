// The creation form suggests a campaign's short name (slug) from its name as it is typed, until the
// organizer edits the short name themselves, and says whether the short name is still free. The server
// checks it again on submit; without this script the form works the same.
document.addEventListener("DOMContentLoaded", () => {
  const name = document.getElementById("name");
  const slug = document.getElementById("slug");
  const status = document.getElementById("slug-check");
  if (!name || !slug) return;
  let edited = slug.value !== "";
  let timer = null;
  const check = () => {
    if (!status || !status.dataset.url) return;
    clearTimeout(timer);
    if (!slug.value) { status.textContent = ""; return; }
    timer = setTimeout(() => {
      const asked = slug.value;
      const url = new URL(status.dataset.url, window.location.href);  // it may carry ?uselang= already
      url.searchParams.set("slug", asked);
      fetch(url, { credentials: "same-origin" })
        .then((response) => (response.ok ? response.json() : null))
        .then((answer) => {
          if (!answer || slug.value !== asked) return;
          status.textContent = answer.available ? status.dataset.free : answer.message;
          status.dataset.available = answer.available ? "true" : "false";
        })
        .catch(() => { status.textContent = ""; });
    }, 300);
  };
  slug.addEventListener("input", () => { edited = slug.value !== ""; check(); });
  name.addEventListener("input", () => {
    if (edited) return;
    slug.value = name.value.normalize("NFKD").toLowerCase()
      .replace(/[\u0300-\u036f]/g, "").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 64);
    check();
  });
});
