/* /peta: the k nearest service points by travel time from a clicked point. */
(function () {
  "use strict";
  var LGEO = window.LGEO;
  var COLORS = ["#c1121f", "#1d4e89", "#137547", "#6a1b9a", "#b35900"];
  var ISO_COLORS = { 10: "#1a9850", 20: "#fdae61", 30: "#d73027" };

  function popupHtml(p, extra) {
    var t = LGEO.t;
    var cats = LGEO.cfg.categories || {};
    var rows = [];
    if (extra) rows.push("<p><strong>" + extra + "</strong></p>");
    rows.push("<p>" + LGEO.esc(cats[p.category] || p.category || "") + "</p>");
    if (p.address) rows.push("<p>" + LGEO.esc(t("address")) + ": " + LGEO.esc(p.address) + "</p>");
    if (p.opening_hours)
      rows.push("<p>" + LGEO.esc(t("hours")) + ": " + LGEO.esc(p.opening_hours) + "</p>");
    return "<h3>" + LGEO.esc(p.name) + "</h3>" + rows.join("");
  }

  function minutesKm(p) {
    var t = LGEO.t;
    return (
      LGEO.fmt(p.duration_min, 1) + " " + t("minutes") + " · " + LGEO.fmt(p.distance_m / 1000, 1) + " " + t("km")
    );
  }

  LGEO.pages.citizen = function (map, cfg) {
    var t = LGEO.t;
    var el = LGEO.el;
    var cat = el("category");
    var prof = el("profile");
    var kSel = el("k");
    var iso = el("isochrones");
    var list = el("results");
    var origin = null;
    var originMarker = null;
    var routes = L.featureGroup().addTo(map);
    var isoLayer = L.geoJSON(null, {
      pane: "areas",
      style: function (f) {
        var m = f.properties.minutes || f.properties.max_minutes || f.properties.duration_min;
        return { color: ISO_COLORS[m] || "#555", weight: 1.5, fillOpacity: 0.18, interactive: false, className: "lgeo-iso" };
      },
    }).addTo(map);
    var controller = null;

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
            radius: 5,
            color: "#ffffff",
            weight: 1.5,
            fillColor: "#0b4f8a",
            fillOpacity: 0.95,
            bubblingMouseEvents: false,
            className: "lgeo-point",
          });
        },
        onEachFeature: function (f, layer) {
          layer.bindPopup(popupHtml(f.properties));
        },
      },
    });

    function clearResults(message) {
      routes.clearLayers();
      list.innerHTML = '<li class="empty">' + LGEO.esc(message || t("results_empty")) + "</li>";
    }

    function render(data) {
      routes.clearLayers();
      list.innerHTML = "";
      var bounds = L.latLngBounds([origin]);
      data.features.forEach(function (f, i) {
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
        routes.addLayer(marker);
        bounds.extend(line.getBounds()).extend(ll);
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
        LGEO.paintSwatches(li);
        li.querySelector("button").addEventListener("click", function () {
          map.panTo(ll);
          marker.openPopup();
        });
        list.appendChild(li);
      });
      LGEO.noteDemo(data);
      if (!data.features.length) {
        clearResults(data.note || t("results_empty"));
        LGEO.status(data.note || "");
      } else {
        LGEO.status(t("found", { n: data.features.length }));
        if (!map.getBounds().contains(bounds)) map.fitBounds(bounds.pad(0.15));
      }
    }

    function drawIsochrones() {
      isoLayer.clearLayers();
      if (!iso.checked || !origin || !cfg.endpoints.isochrones) return;
      LGEO.getJSON("/isochrones", {
        lon: origin.lng.toFixed(6),
        lat: origin.lat.toFixed(6),
        profile: prof.value,
        minutes: "10,20,30",
      }).then(
        function (data) {
          var feats = (data.features || []).slice().sort(function (a, b) {
            return (b.properties.minutes || 0) - (a.properties.minutes || 0);
          });
          isoLayer.addData({ type: "FeatureCollection", features: feats });
        },
        function (err) {
          LGEO.status(t("error") + ": " + err.message);
        }
      );
    }

    function search(latlng) {
      origin = L.latLng(latlng);
      if (originMarker) originMarker.setLatLng(origin);
      else
        originMarker = L.marker(origin, { title: t("origin"), keyboard: true, alt: t("origin") }).addTo(map);
      LGEO.status(t("searching"));
      if (controller) controller.abort();
      controller = new AbortController();
      LGEO.getJSON(
        "/nearest",
        {
          lon: origin.lng.toFixed(6),
          lat: origin.lat.toFixed(6),
          category: cat.value,
          profile: prof.value,
          k: kSel.value,
        },
        { signal: controller.signal }
      ).then(render, function (err) {
        if (err.name === "AbortError") return;
        clearResults(err.message);
        LGEO.status(t("error") + ": " + err.message);
      });
      drawIsochrones();
    }
    LGEO.search = search;

    map.on("click", function (e) {
      search(e.latlng);
    });
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
        LGEO.status(t("locate_error"));
        return;
      }
      navigator.geolocation.getCurrentPosition(
        function (pos) {
          var ll = L.latLng(pos.coords.latitude, pos.coords.longitude);
          map.setView(ll, Math.max(map.getZoom(), 12));
          search(ll);
        },
        function () {
          LGEO.status(t("locate_error"));
        },
        { timeout: 10000 }
      );
    });
  };
})();
