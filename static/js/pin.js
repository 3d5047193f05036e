/* The submission check page: when the operator configured a map, tap the map to move the meeting's pin.
   The latitude and longitude fields stay the source of truth (and the way to do it without a map or a mouse). */
(function () {
  "use strict";
  var box = document.getElementById("pin-map");
  var lat = document.getElementById("f-latitude");
  var lon = document.getElementById("f-longitude");
  if (!box || !lat || !lon || !window.L) { return; }
  var start = [parseFloat(lat.value), parseFloat(lon.value)];
  if (!isFinite(start[0]) || !isFinite(start[1])) { return; }
  box.hidden = false;
  var view = window.L.map(box, { scrollWheelZoom: false }).setView(start, 16);
  window.L.tileLayer(box.getAttribute("data-tiles"), {
    maxZoom: 19, attribution: box.getAttribute("data-attribution") || ""
  }).addTo(view);
  var pin = window.L.circleMarker(start, { radius: 10, weight: 3 }).addTo(view);

  function put(point) {
    lat.value = point.lat.toFixed(6);
    lon.value = point.lng.toFixed(6);
  }
  view.on("click", function (event) {
    pin.setLatLng(event.latlng);
    put(event.latlng);
  });
  function fromFields() {
    var a = parseFloat(lat.value), b = parseFloat(lon.value);
    if (isFinite(a) && isFinite(b) && Math.abs(a) <= 90 && Math.abs(b) <= 180) {
      pin.setLatLng([a, b]);
      view.panTo([a, b]);
    }
  }
  lat.addEventListener("change", fromFields);
  lon.addEventListener("change", fromFields);
})();
