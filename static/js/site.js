/* Progressive enhancement only: every page works without this file.
   - "Use my location": the browser's position goes into one GET request (lat/lon, rounded to ~100 m), nowhere else.
   - The viewer's time zone goes with searches so times can be shown on the viewer's clock too.
   - The optional map (only when the operator configured a tile server and Leaflet was loaded). */
(function () {
  "use strict";

  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
  document.querySelectorAll("[data-tz]").forEach(function (input) {
    if (zone) { input.value = zone; }
    input.disabled = !input.value;
  });
  // Every search and meeting link of this site carries the zone too (quick links, tabs, chips, pages), so every
  // page it opens can show times on the viewer's clock.
  if (zone) {
    document.querySelectorAll("a[href^='/search'], a[href^='/meetings/']").forEach(function (link) {
      var url = new URL(link.getAttribute("href"), location.href);
      if (url.origin !== location.origin || url.searchParams.get("tz")) { return; }
      url.searchParams.set("tz", zone);
      link.setAttribute("href", url.pathname + url.search + url.hash);
    });
  }

  var canLocate = "geolocation" in navigator;
  var form = document.querySelector("form[data-search]");
  if (form && canLocate) {
    form.querySelectorAll("[data-locate-box]").forEach(function (box) { box.hidden = false; });
  }

  function say(text) {
    var status = document.querySelector("[data-locate-status]");
    if (status) { status.textContent = text; }
  }

  function round(value) { return (Math.round(value * 1000) / 1000).toFixed(3); }

  // The URL a location search should go to: the link's own, or the search form's fields without the place text.
  function target(el) {
    if (el.tagName === "A") { return new URL(el.href, location.href); }
    var url = new URL(form.action, location.href);
    new FormData(form).forEach(function (value, name) {
      if (name !== "q" && name !== "lat" && name !== "lon" && name !== "page" && value !== "") {
        url.searchParams.append(name, value);
      }
    });
    return url;
  }

  // When location is refused, keep what the quick link asked for, so typing a place gives the same search.
  function carry(url) {
    if (!form) { return; }
    var have = {};
    form.querySelectorAll("input[type=hidden]").forEach(function (input) { have[input.name + "=" + input.value] = true; });
    url.searchParams.forEach(function (value, name) {
      if (name === "q" || name === "lat" || name === "lon" || have[name + "=" + value]) { return; }
      have[name + "=" + value] = true;
      var input = document.createElement("input");
      input.type = "hidden"; input.name = name; input.value = value;
      form.appendChild(input);
    });
  }

  // The page gives the words in its own language (data-msg-* on the search form); English if it does not.
  function words(name, english) {
    return (form && form.getAttribute("data-msg-" + name)) || english;
  }

  function locate(el) {
    var url = target(el);
    say(words("locating", "Finding your location…"));
    navigator.geolocation.getCurrentPosition(function (position) {
      url.searchParams.delete("q");
      url.searchParams.delete("page");
      url.searchParams.set("lat", round(position.coords.latitude));
      url.searchParams.set("lon", round(position.coords.longitude));
      if (zone && !url.searchParams.get("tz")) { url.searchParams.set("tz", zone); }
      say(words("searching", "Searching near you…"));
      location.assign(url.toString());
    }, function (error) {
      carry(url);
      say(error && error.code === 1
        ? words("denied", "Location is turned off for this site. Type a city or ZIP code instead.")
        : words("failed", "We couldn't get your location. Type a city or ZIP code instead."));
      var input = document.getElementById("q");
      if (input) { input.focus(); }
    }, { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 });
  }

  document.addEventListener("click", function (event) {
    var el = event.target.closest ? event.target.closest("[data-locate]") : null;
    if (!el || !canLocate || (el.tagName === "A" && !form)) { return; }
    event.preventDefault();
    locate(el);
  });

  // "Copy" beside a read-only field (the organizer's private link): shown only where the clipboard works.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field || !navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var status = document.querySelector("[data-copy-status]");
      navigator.clipboard.writeText(field.value).then(function () {
        if (status) { status.textContent = button.getAttribute("data-copied") || ""; }
      }, function () {
        field.select();  // the clipboard refused: the address is selected, ready to copy by hand
      });
    });
  });

  var map = document.getElementById("map");
  if (map && window.L) {
    var points = JSON.parse(map.getAttribute("data-points") || "[]");
    var view = window.L.map(map, { scrollWheelZoom: false });
    window.L.tileLayer(map.getAttribute("data-tiles"), {
      maxZoom: 19, attribution: map.getAttribute("data-attribution") || ""
    }).addTo(view);
    var bounds = [];
    points.forEach(function (p) {
      var marker = window.L.circleMarker([p.lat, p.lon], { radius: 8, weight: 2 }).addTo(view);
      var link = document.createElement("a");
      link.href = p.url; link.textContent = p.label;
      marker.bindPopup(link);
      bounds.push([p.lat, p.lon]);
    });
    if (bounds.length === 1) { view.setView(bounds[0], 15); } else { view.fitBounds(bounds, { padding: [20, 20] }); }
  }
})();
