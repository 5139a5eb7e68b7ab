// Every htmx request carries the CSRF token from the csrftoken cookie (double submit).
document.addEventListener("htmx:configRequest", function (evt) {
  var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  if (match) {
    evt.detail.headers["x-csrftoken"] = decodeURIComponent(match[1]);
  }
});
