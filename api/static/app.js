// Every htmx request carries the CSRF token from the csrftoken cookie (double submit).
document.addEventListener("htmx:configRequest", function (evt) {
  var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  if (match) {
    evt.detail.headers["x-csrftoken"] = decodeURIComponent(match[1]);
  }
});

// Approval queue keys: j/k move between messages, a approves, e edits, r rejects the selected
// one. Ignored while typing in a field.
(function () {
  var selectedId = null;
  function items() { return Array.prototype.slice.call(document.querySelectorAll("article.msg")); }
  function select(el) {
    items().forEach(function (x) { x.classList.remove("selected"); });
    if (!el) { return; }
    el.classList.add("selected");
    selectedId = el.id;
    el.scrollIntoView({ block: "nearest" });
  }
  function current() { return selectedId ? document.getElementById(selectedId) : null; }
  document.addEventListener("htmx:afterSwap", function () {
    var el = current();
    if (el) { el.classList.add("selected"); }
  });
  document.addEventListener("keydown", function (evt) {
    var tag = (evt.target && evt.target.tagName) || "";
    if (evt.ctrlKey || evt.metaKey || evt.altKey || /^(INPUT|TEXTAREA|SELECT)$/.test(tag)) { return; }
    var list = items();
    if (!list.length) { return; }
    var el = current();
    var at = el ? list.indexOf(el) : -1;
    if (evt.key === "j") { select(list[Math.min(at + 1, list.length - 1)]); }
    else if (evt.key === "k") { select(list[Math.max(at - 1, 0)]); }
    else if (!el) { return; }
    else if (evt.key === "a") {
      var approve = el.querySelector("button.approve");
      if (approve && !approve.disabled) { approve.click(); }
    } else if (evt.key === "e") {
      var details = el.querySelector("details.edit");
      if (details) { details.open = true; details.querySelector("textarea").focus(); evt.preventDefault(); }
    } else if (evt.key === "r") {
      var reason = el.querySelector("input[name=reason]");
      if (reason) { reason.focus(); evt.preventDefault(); }
    }
  });
})();
