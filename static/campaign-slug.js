// The creation form suggests a campaign's short name (slug) from its name as it is typed, until the
// organizer edits the short name themselves. The server checks it on submit either way.
document.addEventListener("DOMContentLoaded", () => {
  const name = document.getElementById("name");
  const slug = document.getElementById("slug");
  if (!name || !slug) return;
  let edited = slug.value !== "";
  slug.addEventListener("input", () => { edited = slug.value !== ""; });
  name.addEventListener("input", () => {
    if (edited) return;
    slug.value = name.value.normalize("NFKD").toLowerCase()
      .replace(/[\u0300-\u036f]/g, "").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 64);
  });
});
