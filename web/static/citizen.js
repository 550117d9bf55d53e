/* /peta: the k nearest service points by travel time from a point the user picks
 * (a tap on the map, a place found by name, a service point's "Cari dari sini", the
 * centre of the map or their own location). On phones the panel is a bottom sheet:
 * a one-line summary that expands to the list. */
(function () {
  "use strict";
  var LGEO = window.LGEO;
  var COLORS = ["#c1121f", "#1d4e89", "#137547", "#6a1b9a", "#b35900"];
  var ISO_COLORS = { 10: "#1a9850", 15: "#66bd63", 20: "#f29e2e", 30: "#d73027", 45: "#a50026", 60: "#67001f" };
  var DAYS = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];
  var PHONE = "(max-width: 700px)";

  function isPhone() {
    return window.matchMedia(PHONE).matches;
  }

  /* OSM opening_hours in words: "Mo-Th 08:00-14:00; Fr 08:00-11:00" ->
   * "Senin–Kamis 08.00–14.00; Jumat 08.00–11.00". Anything not understood is shown as
   * it is (better raw than wrong). */
  LGEO.hoursText = function (oh) {
    var t = LGEO.t;
    if (!oh) return "";
    var raw = String(oh).trim();
    if (raw === "24/7") return t("hours_247");
    var names = t("days").split(",");
    var sep = LGEO.cfg.lang === "id" ? "." : ":";
    function day(d) {
      if (d === "PH") return t("hours_ph");
      var i = DAYS.indexOf(d);
      return i < 0 ? null : names[i];
    }
    function days(spec) {
      var out = [];
      var ok = spec.split(",").every(function (part) {
        var ends = part.split("-");
        var a = day(ends[0]);
        var b = ends.length === 2 ? day(ends[1]) : a;
        if (!a || !b || ends.length > 2) return false;
        out.push(ends.length === 2 ? a + "–" + b : a);
        return true;
      });
      return ok ? out.join(", ") : null;
    }
    function times(spec) {
      if (spec === "off" || spec === "closed") return t("hours_off");
      var out = [];
      var ok = spec.split(",").every(function (range) {
        var m = /^(\d\d):(\d\d)-(\d\d):(\d\d)$/.exec(range.trim());
        if (!m) return false;
        out.push(m[1] + sep + m[2] + "–" + m[3] + sep + m[4]);
        return true;
      });
      return ok ? out.join(", ") : null;
    }
    var rules = raw.split(";").map(function (r) {
      return r.trim();
    });
    var words = [];
    for (var i = 0; i < rules.length; i++) {
      if (!rules[i]) continue;
      var m = /^([A-Za-z,\-]+)\s+(.+)$/.exec(rules[i]);
      var d = m && days(m[1]);
      var h = m && times(m[2].trim());
      if (!d || !h) return raw;
      words.push(d + " " + h);
    }
    return words.join("; ");
  };

  function popupHtml(p, extra, actions) {
    var t = LGEO.t;
    var cats = LGEO.cfg.categories || {};
    var rows = [];
    if (extra) rows.push("<p><strong>" + LGEO.esc(extra) + "</strong></p>");
    rows.push("<p>" + LGEO.esc(cats[p.category] || p.category || "") + "</p>");
    if (p.address) rows.push("<p>" + LGEO.esc(t("address")) + ": " + LGEO.esc(p.address) + "</p>");
    if (p.opening_hours)
      rows.push("<p>" + LGEO.esc(t("hours")) + ": " + LGEO.esc(LGEO.hoursText(p.opening_hours)) + "</p>");
    if (actions)
      rows.push(
        '<p class="popup-actions">' +
          '<button type="button" data-act="search">' + LGEO.esc(t("search_here")) + "</button>" +
          '<button type="button" data-act="route">' + LGEO.esc(t("route_here")) + "</button></p>"
      );
    return "<h3>" + LGEO.esc(p.name) + "</h3>" + rows.join("");
  }

  function minutesKm(p) {
    return LGEO.fmtDuration(p.duration_min) + " · " + LGEO.fmtDistance(p.distance_m);
  }

  /* An accessible name on an SVG circle marker once it is on the map. */
  function nameMarker(layer, name) {
    layer.on("add", function () {
      var node = layer.getElement && layer.getElement();
      if (node) {
        node.setAttribute("role", "img");
        node.setAttribute("aria-label", name);
      }
    });
  }

  LGEO.pages.citizen = function (map, cfg) {
    var t = LGEO.t;
    var el = LGEO.el;
    var cat = el("category");
    var prof = el("profile");
    var kSel = el("k");
    var iso = el("isochrones");
    var list = el("results");
    var panel = el("panel");
    var summary = el("sheet-summary");
    var toggle = el("sheet-toggle");
    var legend = el("iso-legend");
    var origin = null;
    var originMarker = null;
    var routes = L.featureGroup().addTo(map);
    var isoLayer = L.geoJSON(null, {
      pane: "areas",
      style: function (f) {
        var m = f.properties.minutes;
        var c = ISO_COLORS[m] || "#555";
        // the bands are road corridors: a wide stroke keeps them visible at every zoom
        return { color: c, weight: 5, opacity: 0.55, fillColor: c, fillOpacity: 0.5, interactive: false, className: "lgeo-iso" };
      },
    }).addTo(map);
    var controller = null;
    var isoController = null;

    /* ---- bottom sheet (phones) ---------------------------------------------- */
    function setSheet(state) {
      panel.setAttribute("data-sheet", state);
      toggle.setAttribute("aria-expanded", state === "collapsed" ? "false" : "true");
      sheetSize();
    }
    function sheetSize() {
      var h = isPhone() ? panel.getBoundingClientRect().height : 0;
      document.body.style.setProperty("--sheet-h", Math.round(h) + "px");
    }
    function say(text, kind) {
      summary.textContent = text;
      summary.setAttribute("data-kind", kind || "info");
      LGEO.status(text);
      sheetSize();
    }
    toggle.addEventListener("click", function () {
      setSheet(panel.getAttribute("data-sheet") === "collapsed" ? "expanded" : "collapsed");
    });
    window.addEventListener("resize", sheetSize);
    if (window.ResizeObserver) new ResizeObserver(sheetSize).observe(panel);
    sheetSize();

    function fitPadding() {
      var top = el("place-search");
      var topPad = isPhone() && top ? top.getBoundingClientRect().bottom + 8 : 20;
      var bottom = isPhone() ? panel.getBoundingClientRect().height + 8 : 20;
      return { paddingTopLeft: [20, topPad], paddingBottomRight: [20, bottom] };
    }

    /* ---- the service points of the view ----------------------------------- */
    var points = LGEO.viewLayer(map, {
      name: "points",
      path: "/collections/service_points/items",
      cap: cfg.cap,
      capNote: true,
      params: function () {
        return { category: cat.value };
      },
      layerOptions: {
        pane: "points",
        pointToLayer: function (f, latlng) {
          return L.circleMarker(latlng, {
            pane: "points",
            radius: 6,
            color: "#ffffff",
            weight: 1.5,
            fillColor: "#0b4f8a",
            fillOpacity: 0.95,
            bubblingMouseEvents: false,
            className: "lgeo-point",
          });
        },
        onEachFeature: function (f, layer) {
          var p = f.properties;
          layer.bindPopup(popupHtml(p, null, true));
          layer.on("popupopen", function (e) {
            wireActions(e.popup, layer.getLatLng(), p);
          });
          nameMarker(layer, t("point_name", { name: p.name, category: (cfg.categories || {})[p.category] || p.category }));
        },
      },
    });

    function wireActions(popup, latlng, p) {
      var node = popup.getElement();
      if (!node) return;
      var s = node.querySelector('[data-act="search"]');
      var r = node.querySelector('[data-act="route"]');
      if (s)
        s.addEventListener("click", function () {
          map.closePopup();
          search(latlng);
        });
      if (r)
        r.addEventListener("click", function () {
          map.closePopup();
          routeTo(latlng, p);
        });
    }

    /* ---- results ------------------------------------------------------------ */
    function clearResults(message) {
      routes.clearLayers();
      list.innerHTML = message ? '<li class="empty">' + LGEO.esc(message) + "</li>" : "";
    }

    function resultItem(p, i, color, ll, marker) {
      var li = document.createElement("li");
      li.setAttribute("data-name", p.name);
      li.setAttribute("data-minutes", String(p.duration_min));
      li.setAttribute("data-km", String(Math.round(p.distance_m / 100) / 10));
      li.innerHTML =
        '<button type="button"><span class="swatch" data-color="' + LGEO.esc(color) + '"></span>' +
        '<span class="name">' + LGEO.esc(p.name) + "</span>" +
        '<span class="meta">' + LGEO.esc(minutesKm(p)) + "</span>" +
        (p.address ? '<span class="meta">' + LGEO.esc(p.address) + "</span>" : "") +
        "</button>";
      var button = li.querySelector("button");
      button.setAttribute(
        "aria-label",
        t("result_name", { rank: i + 1, name: p.name, time: LGEO.fmtDuration(p.duration_min), km: LGEO.fmtDistance(p.distance_m) })
      );
      LGEO.paintSwatches(li);
      button.addEventListener("click", function () {
        if (isPhone()) setSheet("collapsed");
        map.panTo(ll);
        marker.openPopup();
      });
      return li;
    }

    function render(data) {
      routes.clearLayers();
      list.innerHTML = "";
      var bounds = L.latLngBounds([origin]);
      var feats = data.features || [];
      feats.forEach(function (f, i) {
        var p = f.properties;
        var color = COLORS[i % COLORS.length];
        var line = L.geoJSON(p.route, {
          pane: "routes",
          style: { color: color, weight: 5, opacity: 0.9, className: "lgeo-route" },
        });
        line.bindPopup(popupHtml(p, minutesKm(p)));
        routes.addLayer(line);
        var ll = L.latLng(f.geometry.coordinates[1], f.geometry.coordinates[0]);
        var marker = L.circleMarker(ll, {
          pane: "results",
          radius: 9,
          color: "#000",
          weight: 2,
          fillColor: color,
          fillOpacity: 1,
          bubblingMouseEvents: false,
          className: "lgeo-result",
        }).bindPopup(popupHtml(p, minutesKm(p)));
        nameMarker(marker, t("result_name", { rank: i + 1, name: p.name, time: LGEO.fmtDuration(p.duration_min), km: LGEO.fmtDistance(p.distance_m) }));
        routes.addLayer(marker);
        bounds.extend(line.getBounds()).extend(ll);
        list.appendChild(resultItem(p, i, color, ll, marker));
      });
      LGEO.noteDemo(data);
      if (!feats.length) {
        var label = (cfg.categories || {})[cat.value] || cat.value;
        var mode = prof.options[prof.selectedIndex].text;
        var why = data.off_network_points ? "none_near_road" : "none_reachable";
        say(t(why, { category: label, mode: mode }), "error");
        return;
      }
      var first = feats[0].properties;
      var text = first.name + " · " + minutesKm(first);
      if (feats.length > 1) text += " · " + t("more_results", { n: feats.length - 1 });
      summary.textContent = text;
      summary.setAttribute("data-kind", "result");
      LGEO.status(t("found", { n: feats.length }));
      if (isPhone()) setSheet("results");
      map.fitBounds(bounds.pad(0.1), Object.assign({ animate: false, maxZoom: 16 }, fitPadding()));
    }

    function failed(err) {
      if (err.name === "AbortError") return;
      clearResults("");
      say(LGEO.errorText(err), "error");
    }

    /* ---- isochrones ----------------------------------------------------------- */
    function drawLegend(show) {
      legend.hidden = !show;
      if (!show) return;
      var mode = prof.options[prof.selectedIndex].text;
      legend.innerHTML =
        '<p class="legend-title">' + LGEO.esc(t("iso_legend", { mode: mode })) + "</p><ul>" +
        cfg.isoMinutes
          .map(function (m) {
            return '<li><span class="swatch" data-color="' + (ISO_COLORS[m] || "#555") + '"></span>' + LGEO.esc(t("iso_band", { m: m })) + "</li>";
          })
          .join("") +
        "</ul>";
      LGEO.paintSwatches(legend);
    }

    function drawIsochrones() {
      isoLayer.clearLayers();
      if (isoController) isoController.abort();
      drawLegend(false);
      if (!iso.checked || !origin || !cfg.endpoints.isochrones) return;
      isoController = new AbortController();
      LGEO.status(t("iso_loading"));
      LGEO.getJSON(
        "/isochrones",
        { lon: origin.lng.toFixed(6), lat: origin.lat.toFixed(6), profile: prof.value, minutes: cfg.isoMinutes.join(",") },
        { signal: isoController.signal }
      ).then(
        function (data) {
          var feats = (data.features || []).slice().sort(function (a, b) {
            return (b.properties.minutes || 0) - (a.properties.minutes || 0);
          });
          isoLayer.addData({ type: "FeatureCollection", features: feats });
          drawLegend(true);
          LGEO.status("");
        },
        function (err) {
          if (err.name !== "AbortError") LGEO.status(LGEO.errorText(err));
        }
      );
    }

    /* ---- searching -------------------------------------------------------------- */
    function setOrigin(latlng) {
      origin = L.latLng(latlng);
      if (originMarker) originMarker.setLatLng(origin);
      else originMarker = L.marker(origin, { title: t("origin"), keyboard: false, alt: t("origin"), pane: "results" }).addTo(map);
    }

    function search(latlng) {
      setOrigin(latlng);
      clearResults(t("searching")); // stale results never stay on screen
      say(t("searching"), "loading");
      if (controller) controller.abort();
      controller = new AbortController();
      LGEO.getJSON(
        "/nearest",
        { lon: origin.lng.toFixed(6), lat: origin.lat.toFixed(6), category: cat.value, profile: prof.value, k: kSel.value },
        { signal: controller.signal }
      ).then(render, failed);
      drawIsochrones();
    }
    LGEO.search = search;

    function routeTo(latlng, p) {
      if (!origin) {
        say(t("route_need_origin"), "error");
        return;
      }
      clearResults(t("routing"));
      say(t("routing"), "loading");
      if (controller) controller.abort();
      controller = new AbortController();
      var dest = L.latLng(latlng);
      LGEO.getJSON(
        "/route",
        { from: origin.lng.toFixed(6) + "," + origin.lat.toFixed(6), to: dest.lng.toFixed(6) + "," + dest.lat.toFixed(6), profile: prof.value },
        { signal: controller.signal }
      ).then(function (f) {
        var props = Object.assign({}, p, { duration_min: f.properties.duration_min, distance_m: f.properties.distance_m });
        render({ features: [{ type: "Feature", geometry: { type: "Point", coordinates: [dest.lng, dest.lat] }, properties: Object.assign(props, { route: f }) }] });
        summary.textContent = t("route_to", { name: p.name, time: LGEO.fmtDuration(props.duration_min), km: LGEO.fmtDistance(props.distance_m) });
      }, failed);
    }

    map.on("click", function (e) {
      search(e.latlng);
    });
    var container = map.getContainer();
    container.setAttribute("aria-label", t("map_keys"));
    container.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && e.target === container) {
        e.preventDefault();
        search(map.getCenter());
      }
    });
    var cross = document.createElement("div");
    cross.className = "crosshair";
    cross.setAttribute("aria-hidden", "true");
    container.appendChild(cross);

    cat.addEventListener("change", function () {
      points.reload();
      if (origin) search(origin);
    });
    [prof, kSel].forEach(function (node) {
      node.addEventListener("change", function () {
        if (origin) search(origin);
      });
    });
    iso.addEventListener("change", drawIsochrones);
    el("search-center").addEventListener("click", function () {
      search(map.getCenter());
    });
    el("locate").addEventListener("click", function () {
      if (!navigator.geolocation) {
        say(t("locate_error"), "error");
        return;
      }
      navigator.geolocation.getCurrentPosition(
        function (pos) {
          search(L.latLng(pos.coords.latitude, pos.coords.longitude));
        },
        function () {
          say(t("locate_error"), "error");
        },
        { timeout: 10000 }
      );
    });

    if (cfg.endpoints.search) placeSearch(search);
  };

  /* ---- place search: a combobox over GET /search -------------------------------- */
  function placeSearch(start) {
    var t = LGEO.t;
    var input = LGEO.el("place-q");
    var box = LGEO.el("place-list");
    var map = LGEO.map;
    var timer = null;
    var controller = null;
    var items = [];
    var active = -1;

    function close() {
      box.hidden = true;
      box.innerHTML = "";
      items = [];
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }
    function highlight(i) {
      var opts = box.querySelectorAll('[role="option"]');
      active = i;
      Array.prototype.forEach.call(opts, function (o, j) {
        o.setAttribute("aria-selected", j === i ? "true" : "false");
      });
      if (i >= 0 && opts[i]) {
        input.setAttribute("aria-activedescendant", opts[i].id);
        opts[i].scrollIntoView({ block: "nearest" });
      } else input.removeAttribute("aria-activedescendant");
    }
    function pick(i) {
      var f = items[i];
      if (!f) return;
      var p = f.properties;
      input.value = p.name;
      close();
      input.blur(); // phones: put the keyboard away so the sheet can be seen
      start(L.latLng(f.geometry.coordinates[1], f.geometry.coordinates[0]));
    }
    function context(p) {
      var parts = [t("kind_" + p.kind) === "kind_" + p.kind ? p.kind : t("kind_" + p.kind)];
      if (p.kind === "service_point" && p.category) parts[0] = (LGEO.cfg.categories || {})[p.category] || p.category;
      [p.kecamatan, p.kabupaten].forEach(function (x) {
        if (x && x !== p.name) parts.push(x);
      });
      return parts.join(" · ");
    }
    function show(data, q) {
      items = data.features || [];
      box.innerHTML = "";
      if (!items.length) {
        box.innerHTML = '<li class="none" role="presentation">' + LGEO.esc(t("place_none", { q: q })) + "</li>";
      }
      items.forEach(function (f, i) {
        var li = document.createElement("li");
        li.id = "place-opt-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.innerHTML = '<span class="name">' + LGEO.esc(f.properties.name) + '</span><span class="meta">' + LGEO.esc(context(f.properties)) + "</span>";
        li.addEventListener("mousedown", function (e) {
          e.preventDefault(); // keep the focus in the input until the pick
        });
        li.addEventListener("click", function () {
          pick(i);
        });
        box.appendChild(li);
      });
      box.hidden = false;
      input.setAttribute("aria-expanded", "true");
      LGEO.status(items.length ? t("place_found", { n: items.length }) : t("place_none", { q: q }));
      active = -1;
    }
    function query() {
      var q = input.value.trim();
      if (controller) controller.abort();
      if (q.length < 2) {
        close();
        return;
      }
      controller = new AbortController();
      var c = map.getCenter();
      LGEO.getJSON("/search", { q: q, limit: 8, near: c.lng.toFixed(5) + "," + c.lat.toFixed(5) }, { signal: controller.signal }).then(
        function (data) {
          if (input.value.trim() === q) show(data, q);
        },
        function (err) {
          if (err.name === "AbortError") return;
          close();
          LGEO.status(LGEO.errorText(err));
        }
      );
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(query, 150);
    });
    input.addEventListener("keydown", function (e) {
      var n = items.length;
      if (e.key === "ArrowDown") {
        e.preventDefault();
        if (box.hidden && input.value.trim().length >= 2) query();
        else if (n) highlight((active + 1) % n);
      } else if (e.key === "ArrowUp") {
        e.preventDefault();
        if (n) highlight(active <= 0 ? n - 1 : active - 1);
      } else if (e.key === "Enter") {
        e.preventDefault();
        if (n) pick(active >= 0 ? active : 0);
        else {
          clearTimeout(timer);
          query();
        }
      } else if (e.key === "Escape") {
        close();
      }
    });
    input.addEventListener("blur", function () {
      setTimeout(close, 200);
    });
  }
})();
