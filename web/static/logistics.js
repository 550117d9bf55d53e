/* /peta/logistik: farms by commodity, ports, the ferry, Jakarta markets, shipments by
 * status, allocation flows (line width follows tonnes) and a shipment plan form. */
(function () {
  "use strict";
  var LGEO = window.LGEO;
  var COMMODITY_COLORS = {
    padi: "#1b7837",
    jagung: "#b35806",
    ubi_kayu: "#5e3c99",
    pisang: "#c51b7d",
    kopi: "#4d2c0f",
  };
  var EXTRA_COLORS = ["#01665e", "#8c510a", "#2166ac", "#762a83", "#b2182b"];
  var STATUS_COLORS = {
    planned: "#6b6b6b",
    loading: "#1f78b4",
    in_transit: "#e66101",
    at_port: "#7b3294",
    on_ferry: "#008080",
    arrived: "#4d9221",
    delivered: "#1a9641",
    cancelled: "#111111",
  };
  var LEG_STYLE = {
    road: { color: "#0b4f8a", weight: 6, opacity: 0.9 },
    ferry: { color: "#008080", weight: 5, opacity: 0.95, dashArray: "10 8" },
  };

  function commodityColor(code) {
    if (COMMODITY_COLORS[code]) return COMMODITY_COLORS[code];
    var keys = Object.keys(LGEO.cfg.commodities || {});
    var i = Math.max(0, keys.indexOf(code));
    return EXTRA_COLORS[i % EXTRA_COLORS.length];
  }

  function swatch(color, dashed) {
    return (
      '<span class="swatch' + (dashed ? " dashed" : "") + '" data-color="' + LGEO.esc(color) + '"></span>'
    );
  }

  function lonlat(f) {
    return f.geometry.coordinates[0].toFixed(6) + "," + f.geometry.coordinates[1].toFixed(6);
  }

  function legendHtml(cfg) {
    var t = LGEO.t;
    var items = Object.keys(cfg.commodities).map(function (code) {
      return "<li>" + swatch(commodityColor(code)) + LGEO.esc(cfg.commodities[code]) + "</li>";
    });
    items.push("<li>" + swatch("#ffffff") + LGEO.esc(t("layer_ports")) + " (□)</li>");
    items.push("<li>" + swatch("#f2c300") + LGEO.esc(t("layer_markets")) + "</li>");
    items.push("<li>" + swatch("#008080", true) + LGEO.esc(t("layer_ferry")) + "</li>");
    if (cfg.endpoints.shipments) {
      items.push("<li><strong>" + LGEO.esc(t("layer_shipments")) + "</strong></li>");
      Object.keys(STATUS_COLORS).forEach(function (st) {
        items.push("<li>" + swatch(STATUS_COLORS[st]) + LGEO.esc(t("status_" + st)) + "</li>");
      });
    }
    if (cfg.endpoints.allocate) items.push("<li>" + swatch("#7b3294") + LGEO.esc(t("layer_flows")) + "</li>");
    return "<ul>" + items.join("") + "</ul>";
  }

  function farmPopup(p) {
    var t = LGEO.t;
    var coms = LGEO.cfg.commodities;
    return (
      "<h3>" + LGEO.esc(p.name) + "</h3><p>" + LGEO.esc(t("commodity")) + ": " +
      LGEO.esc(coms[p.commodity] || p.commodity) + "</p><p>" + LGEO.esc(t("production")) + ": " +
      LGEO.fmt(p.production_t_per_year, 0) + "</p>"
    );
  }

  LGEO.pages.logistics = function (map, cfg) {
    var t = LGEO.t;
    var el = LGEO.el;
    var filter = el("commodity");
    var farmSel = el("farm");
    var marketSel = el("market");
    var farmsById = {};
    var marketsById = {};
    el("legend").innerHTML = legendHtml(cfg);
    LGEO.paintSwatches(el("legend"));
    var now = new Date(Date.now() - new Date().getTimezoneOffset() * 60000);
    el("departure").value = now.toISOString().slice(0, 16);

    var farms = LGEO.viewLayer(map, {
      name: "farms",
      path: "/collections/farms/items",
      cap: cfg.cap,
      capNote: true,
      params: function () {
        return { commodity: filter.value };
      },
      layerOptions: {
        pane: "points",
        pointToLayer: function (f, latlng) {
          return L.circleMarker(latlng, {
            pane: "points",
            radius: 6,
            color: "#ffffff",
            weight: 1.5,
            fillColor: commodityColor(f.properties.commodity),
            fillOpacity: 0.95,
            className: "lgeo-farm",
          });
        },
        onEachFeature: function (f, layer) {
          layer.bindPopup(farmPopup(f.properties));
          layer.on("click", function () {
            if (farmsById[f.id]) {
              farmSel.value = String(f.id);
              el("plan-commodity").value = f.properties.commodity;
            }
          });
        },
      },
    });
    var flows = null;
    filter.addEventListener("change", function () {
      farms.reload();
      if (flows) flows.reload();
    });
    farmSel.addEventListener("change", function () {
      var farm = farmsById[farmSel.value];
      if (farm) el("plan-commodity").value = farm.properties.commodity;
    });

    LGEO.onceLayer(map, "/collections/ferry_links/items", {}, {
      pane: "flows",
      style: function () {
        return { color: "#008080", weight: 4, dashArray: "10 8", className: "lgeo-ferry" };
      },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        layer.bindPopup(
          "<h3>" + LGEO.esc(p.name) + "</h3><p>" + LGEO.fmt(p.crossing_minutes, 0) + " " + LGEO.esc(t("minutes")) +
            " · " + LGEO.fmt(p.departures_per_day, 0) + " " + LGEO.esc(t("per_day")) + "</p>"
        );
      },
    });
    LGEO.onceLayer(map, "/collections/ports/items", {}, {
      pane: "results",
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, {
          pane: "results",
          radius: 8,
          color: "#000",
          weight: 3,
          fillColor: "#ffffff",
          fillOpacity: 1,
          className: "lgeo-port",
        });
      },
      onEachFeature: function (f, layer) {
        layer.bindPopup("<h3>" + LGEO.esc(f.properties.name) + "</h3><p>" + LGEO.esc(t("layer_ports")) + "</p>");
      },
    });
    var markets = LGEO.onceLayer(map, "/collections/markets/items", {}, {
      pane: "results",
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, {
          pane: "results",
          radius: 9,
          color: "#000",
          weight: 2,
          fillColor: "#f2c300",
          fillOpacity: 1,
          className: "lgeo-market",
        });
      },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        var demand = p.demand_t_per_month || {};
        var rows = Object.keys(demand)
          .map(function (k) {
            return "<li>" + LGEO.esc(cfg.commodities[k] || k) + ": " + LGEO.fmt(demand[k], 0) + " " + LGEO.esc(t("t_per_month")) + "</li>";
          })
          .join("");
        layer.bindPopup("<h3>" + LGEO.esc(p.name) + "</h3>" + (rows ? "<ul>" + rows + "</ul>" : ""));
      },
    });
    markets.loaded.then(function (data) {
      marketSel.innerHTML = "";
      data.features.forEach(function (f) {
        marketsById[f.id] = f;
        var o = document.createElement("option");
        o.value = String(f.id);
        o.textContent = f.properties.name;
        marketSel.appendChild(o);
      });
    });
    LGEO.getJSON("/collections/farms/items", { limit: cfg.cap }).then(function (data) {
      var feats = data.features.slice().sort(function (a, b) {
        return String(a.properties.name).localeCompare(String(b.properties.name));
      });
      farmSel.innerHTML = "";
      feats.forEach(function (f) {
        farmsById[f.id] = f;
        var o = document.createElement("option");
        o.value = String(f.id);
        o.textContent = f.properties.name;
        farmSel.appendChild(o);
      });
      if (feats.length) el("plan-commodity").value = feats[0].properties.commodity;
    });

    if (cfg.endpoints.shipments) loadShipments(map);
    if (cfg.endpoints.allocate) flows = loadFlows(map, filter);

    var planLayer = L.featureGroup().addTo(map);
    el("plan-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var farm = farmsById[farmSel.value];
      var market = marketsById[marketSel.value];
      if (!farm || !market) return;
      LGEO.status(t("planning_shipment"));
      var request = cfg.endpoints.plan
        ? LGEO.postJSON("/logistics/plan", {
            origin: farm.geometry.coordinates,
            market: market.id,
            commodity: el("plan-commodity").value,
            tonnes: Number(el("tonnes").value),
            vehicle_class: el("vehicle").value,
            departure: el("departure").value.length === 16 ? el("departure").value + ":00" : el("departure").value,
          })
        : LGEO.getJSON("/route", { from: lonlat(farm), to: lonlat(market), profile: "truck" });
      request.then(
        function (data) {
          drawPlan(map, planLayer, data);
          LGEO.status("");
        },
        function (err) {
          LGEO.status(t("error") + ": " + err.message);
        }
      );
    });
  };

  function legRow(leg, i) {
    var t = LGEO.t;
    var mode = leg.mode === "ferry" ? t("leg_ferry") : t("leg_road");
    var wait = leg.wait_s ? " (+" + LGEO.fmt(leg.wait_s / 60, 0) + " " + t("wait") + ")" : "";
    return (
      "<tr><td>" + (i + 1) + ". " + LGEO.esc(mode + wait) + '</td><td class="num">' +
      LGEO.fmt((leg.duration_s || 0) / 60, 0) + '</td><td class="num">' +
      LGEO.fmt((leg.distance_m || 0) / 1000, 1) + "</td></tr>"
    );
  }

  /* A /logistics/plan answer (or, without it, a /route answer): legs, cost, ETA. */
  function drawPlan(map, layer, data) {
    var t = LGEO.t;
    var p = data.properties || {};
    var legs = p.legs || [];
    layer.clearLayers();
    legs.forEach(function (leg) {
      var mode = leg.mode === "ferry" ? "ferry" : "road";
      L.geoJSON(leg.geometry, {
        pane: "routes",
        style: Object.assign({ className: "lgeo-leg lgeo-leg-" + mode }, LEG_STYLE[mode]),
      }).addTo(layer);
    });
    var html =
      '<table class="breakdown"><tr><th>' + LGEO.esc(t("leg")) + '</th><th class="num">' + LGEO.esc(t("minutes")) +
      '</th><th class="num">' + LGEO.esc(t("km")) + "</th></tr>" + legs.map(legRow).join("") +
      "<tr><th>" + LGEO.esc(t("total")) + '</th><th class="num">' + LGEO.fmt((p.duration_s || 0) / 60, 0) +
      '</th><th class="num">' + LGEO.fmt((p.distance_m || 0) / 1000, 1) + "</th></tr></table>";
    var cost = p.cost;
    if (cost) {
      var parts = [
        ["cost_fuel", cost.fuel_idr],
        ["cost_toll", cost.toll_idr],
        ["cost_ferry", cost.ferry_idr],
        ["cost_driver", cost.driver_idr],
      ];
      html +=
        '<table class="breakdown"><tr><th>' + LGEO.esc(t("cost")) + '</th><th class="num">Rp</th></tr>' +
        parts
          .map(function (q) {
            return "<tr><td>" + LGEO.esc(t(q[0])) + '</td><td class="num">' + LGEO.fmt(q[1], 0) + "</td></tr>";
          })
          .join("") +
        "<tr><th>" + LGEO.esc(t("total")) + '</th><th class="num">' + LGEO.fmt(cost.total_idr, 0) + "</th></tr>" +
        "<tr><td>" + LGEO.esc(t("per_tonne")) + '</td><td class="num">' + LGEO.fmt(cost.per_tonne_idr, 0) +
        "</td></tr></table>";
      if (p.vehicles) html += "<p>" + LGEO.esc(t("vehicles")) + ": " + LGEO.fmt(p.vehicles, 0) + "</p>";
    }
    var eta = p.eta ? new Date(p.eta) : new Date(Date.now() + (p.duration_s || 0) * 1000);
    html +=
      '<p id="plan-eta"><strong>' + LGEO.esc(t("eta")) + ":</strong> " +
      LGEO.esc(eta.toLocaleString(LGEO.cfg.lang === "id" ? "id-ID" : "en-GB")) + "</p>";
    LGEO.el("plan-result").innerHTML = html;
    if (layer.getLayers().length) map.fitBounds(layer.getBounds().pad(0.1));
  }

  function loadShipments(map) {
    LGEO.viewLayer(map, {
      name: "shipments",
      path: "/collections/shipments/items",
      cap: LGEO.cfg.cap,
      capNote: true,
      layerOptions: {
        pane: "routes",
        style: function (f) {
          return { color: STATUS_COLORS[f.properties.status] || "#333", weight: 3, className: "lgeo-shipment" };
        },
        pointToLayer: function (f, latlng) {
          return L.circleMarker(latlng, {
            pane: "routes",
            radius: 6,
            color: "#000",
            weight: 1,
            fillColor: STATUS_COLORS[f.properties.status] || "#333",
            fillOpacity: 1,
            className: "lgeo-shipment",
          });
        },
        onEachFeature: function (f, layer) {
          var p = f.properties;
          layer.bindPopup(
            "<h3>" + LGEO.esc(p.code || "#" + f.id) + "</h3><p>" + LGEO.esc(LGEO.t("status")) + ": " +
              LGEO.esc(LGEO.t("status_" + p.status)) + "</p><p>" + LGEO.fmt(p.tonnes, 1) + " t · " +
              LGEO.esc(LGEO.t("eta")) + ": " + LGEO.esc(p.eta || "–") + "</p>"
          );
        },
      },
    });
  }

  /* This month's minimum-cost allocation: lines farm -> market, width by tonnes. */
  function loadFlows(map, filter) {
    var layer = L.geoJSON(null, {
      pane: "flows",
      onEachFeature: function (f, l) {
        var p = f.properties;
        l.bindPopup(
          "<h3>" + LGEO.esc(p.farm) + " → " + LGEO.esc(p.market) + "</h3><p>" + LGEO.fmt(p.tonnes, 1) + " t · Rp " +
            LGEO.fmt(p.cost_idr, 0) + "</p>"
        );
      },
    }).addTo(map);
    function reload() {
      LGEO.postJSON("/logistics/allocate", {
        month: new Date().getMonth() + 1,
        commodity: filter.value || null,
      }).then(
        function (data) {
          var feats = (data.features || []).filter(function (f) {
            return f.geometry && f.properties.tonnes > 0;
          });
          var max = feats.reduce(function (m, f) {
            return Math.max(m, f.properties.tonnes);
          }, 0);
          layer.clearLayers();
          layer.options.style = function (f) {
            var w = max > 0 ? 1.5 + 10 * Math.sqrt(f.properties.tonnes / max) : 3;
            return { color: "#7b3294", weight: w, opacity: 0.6, className: "lgeo-flow" };
          };
          layer.addData({ type: "FeatureCollection", features: feats });
        },
        function (err) {
          LGEO.status(LGEO.t("error") + ": " + err.message);
        }
      );
    }
    reload();
    return { reload: reload };
  }
})();
