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

// Chat (/chat): each question streams from /api/v1/chat/stream through an EventSource.
// Events: `draft` (model tokens, shown greyed while the answer is written), `redraft` (the
// model starts over), `chunk` (a line of the final, verified or template answer: it replaces
// any draft), `facts` (JSON: the facts and the tools behind the answer), `done`. Every text is
// set with textContent: names in the data never become markup.
(function () {
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  function cited(text) {
    var ids = {};
    var re = /\[([^\[\]\s]+)\]/g;
    var m;
    while ((m = re.exec(text)) !== null) { ids[m[1]] = true; }
    return ids;
  }
  function showFacts(turn, answer, payload) {
    var ids = cited(answer.textContent);
    var shown = (payload.facts || []).filter(function (f) { return ids[f.id]; });
    if (!shown.length) { return; }
    var box = el("details", "facts");
    box.open = true;
    box.appendChild(el("summary", null, "Facts behind the figures (" + shown.length + ")"));
    var list = el("ul");
    shown.forEach(function (f) {
      var item = el("li", "fact");
      item.appendChild(el("code", null, f.id));
      item.appendChild(document.createTextNode(" " + f.label + ": " + f.display));
      list.appendChild(item);
    });
    box.appendChild(list);
    turn.appendChild(box);
  }
  function ask(form, question) {
    var thread = document.getElementById("chat-thread");
    var turn = el("article", "card turn");
    turn.appendChild(el("p", "question", question));
    var answer = el("div", "answer");
    answer.setAttribute("data-state", "waiting");
    turn.appendChild(answer);
    var status = el("p", "meta status", "Working on it…");
    turn.appendChild(status);
    thread.appendChild(turn);
    var params = new URLSearchParams({ q: question, thread: form.getAttribute("data-thread") });
    var location = form.querySelector("select[name=location]");
    if (location && location.value) { params.set("location", location.value); }
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    var source = new EventSource("/api/v1/chat/stream?" + params.toString());
    var payload = null;
    function finish(message) {
      source.close();
      button.disabled = false;
      answer.setAttribute("data-state", "done");
      status.textContent = message;
      if (payload) { showFacts(turn, answer, payload); }
    }
    source.addEventListener("redraft", function () { answer.textContent = ""; });
    source.addEventListener("draft", function (evt) {
      answer.setAttribute("data-state", "draft");
      answer.textContent += evt.data;
      status.textContent = "Draft: the figures are checked before the answer is final…";
    });
    source.addEventListener("chunk", function (evt) {
      if (answer.getAttribute("data-state") !== "answer") {
        answer.textContent = "";
        answer.setAttribute("data-state", "answer");
      }
      answer.appendChild(el("p", null, evt.data));
    });
    source.addEventListener("facts", function (evt) { payload = JSON.parse(evt.data); });
    source.addEventListener("done", function () {
      var writer = payload && payload.writer;
      finish(writer === "llm" ? "Every figure checked against the facts." : "");
    });
    source.onerror = function () { finish("The answer could not be loaded; try again."); };
  }
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (!form || form.id !== "chat-form") { return; }
    evt.preventDefault();
    var input = form.querySelector("input[name=q]");
    var question = input.value.trim();
    if (!question) { return; }
    input.value = "";
    ask(form, question);
  });
  document.addEventListener("click", function (evt) {
    var button = evt.target.closest ? evt.target.closest("button.example") : null;
    var form = document.getElementById("chat-form");
    if (!button || !form) { return; }
    form.querySelector("input[name=q]").value = button.getAttribute("data-q");
    form.requestSubmit();
  });
})();
