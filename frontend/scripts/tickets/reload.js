// For browsers without ES modules (old TV browsers): reload the page every few
// seconds, as <meta http-equiv="refresh"> does where scripts are off.
(function () {
  var script = document.currentScript;
  var seconds = Number((script && script.getAttribute("data-seconds")) || 5);
  setTimeout(function () { window.location.reload(); }, seconds * 1000);
})();
