// Wheel zoom and drag pan for one inline SVG. No dependencies, no network.
// Wheel (or pinch): zoom around the pointer. Drag: pan. Double-click or "Fit": whole diagram.
// Keys: + and - zoom, 0 fits, 1 shows the diagram at its natural size.
(function () {
  "use strict";
  var view = document.getElementById("view");
  var stage = document.getElementById("stage");
  var svg = stage.querySelector("svg");
  if (!svg) { return; }
  var MIN = 0.02, MAX = 16, PAD = 8;
  var s = 1, x = 0, y = 0, w = 1, h = 1;

  function clamp(v, lo, hi) { return Math.max(lo, Math.min(hi, v)); }
  function apply() {
    stage.style.transform = "translate(" + x + "px," + y + "px) scale(" + s + ")";
    var label = document.getElementById("zoom");
    if (label) { label.textContent = Math.round(s * 100) + "%"; }
  }
  function measure() {
    stage.style.transform = "none";
    var r = svg.getBoundingClientRect();
    w = Math.max(r.width, 1);
    h = Math.max(r.height, 1);
  }
  function fit() {
    var vw = view.clientWidth, vh = view.clientHeight;
    s = clamp(Math.min((vw - 2 * PAD) / w, (vh - 2 * PAD) / h, 1.5), MIN, MAX);
    x = (vw - w * s) / 2;
    y = Math.max(PAD, (vh - h * s) / 2);
    apply();
  }
  // A tall, narrow drawing fitted whole would be too small to read: start with its top,
  // as wide as the frame allows (at most natural size); "Fit" still shows all of it.
  function start() {
    var vw = view.clientWidth, vh = view.clientHeight;
    if (Math.min((vw - 2 * PAD) / w, (vh - 2 * PAD) / h) >= 0.45) { fit(); return; }
    s = clamp(Math.min((vw - 2 * PAD) / w, 1), MIN, MAX);
    x = (vw - w * s) / 2;
    y = PAD + 36;
    apply();
  }
  function natural() {
    var vw = view.clientWidth;
    s = 1;
    x = Math.max(PAD, (vw - w) / 2);
    y = PAD;
    apply();
  }
  function zoomAt(px, py, factor) {
    var ns = clamp(s * factor, MIN, MAX);
    x = px - (px - x) * (ns / s);
    y = py - (py - y) * (ns / s);
    s = ns;
    apply();
  }
  function zoomCentre(factor) { zoomAt(view.clientWidth / 2, view.clientHeight / 2, factor); }

  view.addEventListener("wheel", function (e) {
    e.preventDefault();
    var r = view.getBoundingClientRect();
    var dy = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
    zoomAt(e.clientX - r.left, e.clientY - r.top, Math.exp(-dy * 0.0015));
  }, { passive: false });

  var drag = null;
  view.addEventListener("pointerdown", function (e) {
    if (e.button !== 0) { return; }
    drag = { id: e.pointerId, px: e.clientX, py: e.clientY, x: x, y: y };
    view.setPointerCapture(e.pointerId);
    view.classList.add("drag");
  });
  view.addEventListener("pointermove", function (e) {
    if (!drag || e.pointerId !== drag.id) { return; }
    x = drag.x + (e.clientX - drag.px);
    y = drag.y + (e.clientY - drag.py);
    apply();
  });
  function end(e) {
    if (drag && e.pointerId === drag.id) {
      drag = null;
      view.classList.remove("drag");
    }
  }
  view.addEventListener("pointerup", end);
  view.addEventListener("pointercancel", end);
  view.addEventListener("dblclick", fit);

  document.addEventListener("keydown", function (e) {
    if (e.key === "+" || e.key === "=") { zoomCentre(1.25); }
    else if (e.key === "-" || e.key === "_") { zoomCentre(0.8); }
    else if (e.key === "0") { fit(); }
    else if (e.key === "1") { natural(); }
  });
  function on(id, f) { var b = document.getElementById(id); if (b) { b.addEventListener("click", f); } }
  on("zin", function () { zoomCentre(1.25); });
  on("zout", function () { zoomCentre(0.8); });
  on("fit", fit);
  on("one", natural);

  measure();
  start();
  window.addEventListener("resize", start);
})();
