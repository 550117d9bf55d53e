/* /peta/logistik: farms by commodity, ports, the ferry, Jakarta markets, shipments by
 * status, the month's allocation drawn along its routes (line width follows tonnes), a
 * shipment planner showing the whole plan, and shipments in the browser: sign in with
 * an API key, save a plan as a shipment, move it through its lifecycle, its timeline.
 *
 * The API key is kept in sessionStorage (this tab only) and sent as the X-API-Key
 * header; it never goes into a URL (the sign-in input has no name, so even a form
 * submitted without this script sends nothing).
 *
 * Formatting helpers (WIB times, "6 j 40 mnt" durations) and the error messages per
 * status/field live here until web/static/common.js offers them (LX.* below): move them
 * there then. */
(function () {
  "use strict";
  var LGEO = window.LGEO;
  var KEY_STORE = "lgeo.apiKey";
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
  var FLOW_COLOR = "#7b3294";
  var MONTHS = {
    id: ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"],
    en: ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
  };
  var WIB_MS = 7 * 3600 * 1000;

  /* ---- formatting (to move into common.js) ------------------------------------ */
  var LX = (LGEO.lx = {});

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  /* "30 Nov 2026 12.54 WIB" (en: "30 Nov 2026 12:54 WIB"); Lampung and Jakarta are
   * both on WIB (UTC+7, no daylight saving), whatever the browser's own zone. */
  LX.time = function (iso) {
    if (!iso) return "–";
    var ms = Date.parse(iso);
    if (isNaN(ms)) return "–";
    var w = new Date(ms + WIB_MS);
    var lang = LGEO.cfg.lang === "en" ? "en" : "id";
    var sep = lang === "en" ? ":" : ".";
    return (
      w.getUTCDate() + " " + MONTHS[lang][w.getUTCMonth()] + " " + w.getUTCFullYear() + " " +
      pad(w.getUTCHours()) + sep + pad(w.getUTCMinutes()) + " WIB"
    );
  };

  /* The WIB wall-clock "YYYY-MM-DDTHH:MM" of now, for a datetime-local input. */
  LX.nowLocalInput = function () {
    return new Date(Date.now() + WIB_MS).toISOString().slice(0, 16);
  };

  /* "6 j 40 mnt" / "6 h 40 min"; under an hour "40 mnt". */
  LX.duration = function (seconds) {
    if (seconds === null || seconds === undefined || isNaN(seconds)) return "–";
    var t = LGEO.t;
    var total = Math.round(seconds / 60);
    var h = Math.floor(total / 60);
    var m = total % 60;
    if (h === 0) return m + " " + t("minutes_short");
    return h + " " + t("hours_short") + (m ? " " + m + " " + t("minutes_short") : "");
  };

  LX.km = function (m) {
    return LGEO.fmt((m || 0) / 1000, 1) + " km";
  };

  LX.rupiah = function (v) {
    return "Rp " + LGEO.fmt(v, 0);
  };

  /* A clear message for an API error, by status and field. */
  LX.message = function (err, role) {
    var t = LGEO.t;
    var s = err.status || 0;
    var body = err.body || {};
    if (!s) return t("err_network");
    if (s === 401) return t("err_401");
    if (s === 403) return t("err_403", { role: role || "viewer" });
    if (s === 409) return body.field === "code" ? t("err_409_code") : t("err_409");
    if (s === 412) return t("err_412");
    if (s === 503) return t("err_busy");
    if (s === 422 && body.code === "OffNetwork" && body.field === "origin") return t("err_snap");
    if (s === 422 && body.code === "NoRoute") return t("err_route");
    var msg = t("err_generic", { status: s });
    // The server's own words are English: shown on English pages only.
    if (LGEO.cfg.lang === "en" && body.description) msg += " " + body.description;
    return msg;
  };

  /* ---- the API, with the key when asked --------------------------------------- */
  function storedKey() {
    try {
      return window.sessionStorage.getItem(KEY_STORE) || "";
    } catch (e) {
      return "";
    }
  }

  function storeKey(key) {
    try {
      if (key) window.sessionStorage.setItem(KEY_STORE, key);
      else window.sessionStorage.removeItem(KEY_STORE);
    } catch (e) {
      /* storage disabled: the key lives only in this page */
    }
  }

  function api(method, path, opts) {
    opts = opts || {};
    var headers = Object.assign({ Accept: "application/json" }, opts.headers || {});
    var init = { method: method, headers: headers };
    if (opts.body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(opts.body);
    }
    if (opts.key) headers["X-API-Key"] = opts.key;
    var p = fetch(LGEO.url(path, opts.params || {}), init).then(
      function (r) {
        return r
          .json()
          .catch(function () {
            return {};
          })
          .then(function (body) {
            if (!r.ok) {
              var err = new Error(body.description || "HTTP " + r.status);
              err.status = r.status;
              err.body = body;
              throw err;
            }
            return body;
          });
      },
      function (e) {
        var err = new Error(e && e.message ? e.message : "network");
        err.status = 0;
        throw err;
      }
    );
    return LGEO.track(p);
  }
  LX.api = api;

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    return "k-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  }

  /* ---- legend and popups --------------------------------------------------------- */
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
    if (cfg.endpoints.allocate) items.push("<li>" + swatch(FLOW_COLOR) + LGEO.esc(t("layer_flows")) + "</li>");
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

  function show(node, text, kind) {
    if (!node) return;
    node.textContent = text || "";
    node.hidden = !text;
    node.classList.toggle("error", kind === "error");
    node.classList.toggle("ok", kind === "ok");
  }

  /* ---- the page ---------------------------------------------------------------- */
  LGEO.pages.logistics = function (map, cfg) {
    var t = LGEO.t;
    var el = LGEO.el;
    var filter = el("commodity");
    var farmSel = el("farm");
    var marketSel = el("market");
    var farmsById = {};
    var marketsById = {};
    var ferryNames = {};
    el("legend").innerHTML = legendHtml(cfg);
    LGEO.paintSwatches(el("legend"));
    el("departure").value = LX.nowLocalInput();

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

    var ferries = LGEO.onceLayer(map, "/collections/ferry_links/items", {}, {
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
    ferries.loaded.then(function (data) {
      data.features.forEach(function (f) {
        ferryNames[f.id] = f.properties.name;
      });
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

    if (LGEO.prices) LGEO.prices.panel(cfg);
    var ships = cfg.endpoints.shipments ? shipmentsPanel(map) : null;
    if (cfg.endpoints.allocate) flows = allocationPanel(map, filter, ferryNames);

    var planLayer = L.featureGroup().addTo(map);
    var lastRequest = null;
    el("plan-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var farm = farmsById[farmSel.value];
      var market = marketsById[marketSel.value];
      if (!farm || !market) return;
      var out = el("plan-result");
      out.innerHTML = '<p class="msg">' + LGEO.esc(t("planning_shipment")) + "</p>";
      planLayer.clearLayers();
      if (el("save-shipment")) el("save-shipment").hidden = true;
      var departure = el("departure").value;
      var body = {
        origin: farm.geometry.coordinates,
        market: market.id,
        commodity: el("plan-commodity").value,
        tonnes: Number(el("tonnes").value),
        vehicle_class: el("vehicle").value,
        departure: departure.length === 16 ? departure + ":00+07:00" : departure,
      };
      // the margin with the observed prices of the departure day (prices.js shows it)
      if (cfg.endpoints.prices) body.price_basis = {};
      var request = cfg.endpoints.plan
        ? api("POST", "/logistics/plan", { body: body })
        : api("GET", "/route", { params: { from: lonlat(farm), to: lonlat(market), profile: "truck" } });
      request.then(
        function (data) {
          drawPlan(map, planLayer, data);
          lastRequest = cfg.endpoints.plan ? body : null;
          if (el("save-shipment")) el("save-shipment").hidden = !lastRequest;
        },
        function (err) {
          out.innerHTML = '<p class="msg error" role="alert">' + LGEO.esc(LX.message(err)) + "</p>";
        }
      );
    });
    if (ships && el("save-shipment")) {
      el("save-shipment").addEventListener("click", function () {
        if (lastRequest) ships.save(lastRequest);
      });
    }
  };

  /* ---- the plan ------------------------------------------------------------------ */
  function noteText(note) {
    var m = /^(.*) has no recorded demand for (\S+)$/.exec(note);
    if (m) {
      return LGEO.t("note_no_demand", { market: m[1], commodity: LGEO.cfg.commodities[m[2]] || m[2] });
    }
    return note;
  }

  function figureId(key) {
    return "fig-" + String(key).replace(/[^A-Za-z0-9_-]/g, "-");
  }

  /* A cost cell's mark: "*" linking to the figure's source when it is an assumption. */
  function marks(figures, component) {
    return figures
      .filter(function (f) {
        return f.component === component && f.assumption;
      })
      .map(function (f) {
        return (
          ' <a class="assumption" href="#' + figureId(f.key) + '" title="' + LGEO.esc(LGEO.t("assumption")) +
          ": " + LGEO.esc(f.source || "") + '">*<span class="visually-hidden"> ' + LGEO.esc(LGEO.t("assumption")) +
          "</span></a>"
        );
      })
      .slice(0, 1)
      .join("");
  }

  function legRows(legs) {
    var t = LGEO.t;
    return legs
      .map(function (leg, i) {
        var ferry = leg.mode === "ferry";
        var name = (i + 1) + ". " + (ferry ? t("leg_ferry") + (leg.name ? " (" + leg.name + ")" : "") : t("leg_road"));
        var rows = "";
        if (ferry && leg.sailing) {
          rows +=
            '<tr class="wait"><td>' + LGEO.esc(t("ferry_wait")) + "<br><small>" + LGEO.esc(LX.time(leg.start)) +
            " → " + LGEO.esc(LX.time(leg.sailing)) + '</small></td><td class="num">' + LGEO.esc(LX.duration(leg.wait_s)) +
            '</td><td class="num">–</td></tr>';
        }
        var start = ferry && leg.sailing ? leg.sailing : leg.start;
        rows +=
          '<tr class="leg leg-' + (ferry ? "ferry" : "road") + '"><td>' + LGEO.esc(name) + "<br><small>" +
          (ferry ? LGEO.esc(t("ferry_sailing")) + " " : "") + LGEO.esc(LX.time(start)) + " → " + LGEO.esc(LX.time(leg.end)) +
          '</small></td><td class="num">' + LGEO.esc(LX.duration(leg.duration_s)) + '</td><td class="num">' +
          LGEO.esc(LX.km(leg.distance_m)) + "</td></tr>";
        return rows;
      })
      .join("");
  }

  /* A /logistics/plan answer (or, without it, a /route answer): every leg on the clock,
   * the ferry's wait and sailing, cost with its assumptions marked, fuel, CO2, notes. */
  function drawPlan(map, layer, data) {
    var t = LGEO.t;
    var p = data.properties || {};
    var legs = p.legs || [];
    var figures = p.figures || [];
    layer.clearLayers();
    legs.forEach(function (leg) {
      var mode = leg.mode === "ferry" ? "ferry" : "road";
      L.geoJSON(leg.geometry, {
        pane: "routes",
        style: Object.assign({ className: "lgeo-leg lgeo-leg-" + mode }, LEG_STYLE[mode]),
      }).addTo(layer);
    });
    var html =
      '<table class="breakdown legs"><caption>' + LGEO.esc(t("leg_times")) + "</caption><tr><th>" +
      LGEO.esc(t("leg")) + '</th><th class="num">' + LGEO.esc(t("duration")) + '</th><th class="num">' +
      LGEO.esc(t("distance")) + "</th></tr>" + legRows(legs) + "<tr><th>" + LGEO.esc(t("total")) +
      '</th><th class="num" id="plan-duration">' + LGEO.esc(LX.duration(p.duration_s)) + '</th><th class="num">' +
      LGEO.esc(LX.km(p.distance_m)) + "</th></tr></table>";
    var eta = p.eta || new Date(Date.now() + (p.duration_s || 0) * 1000).toISOString();
    html +=
      '<p id="plan-eta"><strong>' + LGEO.esc(t("eta")) + ":</strong> " + LGEO.esc(LX.time(eta)) +
      (p.departure ? " <small>(" + LGEO.esc(t("start")) + " " + LGEO.esc(LX.time(p.departure)) + ")</small>" : "") +
      "</p>";
    var cost = p.cost;
    if (cost) {
      var parts = [
        ["cost_fuel", cost.fuel_idr, "fuel"],
        ["cost_toll", cost.toll_idr, "toll"],
        ["cost_ferry", cost.ferry_idr, "ferry"],
        ["cost_driver", cost.driver_idr, "driver"],
      ];
      html +=
        '<table class="breakdown cost"><tr><th>' + LGEO.esc(t("cost")) + '</th><th class="num">Rp</th></tr>' +
        parts
          .map(function (q) {
            return (
              '<tr data-component="' + q[2] + '"><td>' + LGEO.esc(t(q[0])) + marks(figures, q[2]) + '</td><td class="num">' +
              LGEO.fmt(q[1], 0) + "</td></tr>"
            );
          })
          .join("") +
        "<tr><th>" + LGEO.esc(t("total")) + '</th><th class="num">' + LGEO.fmt(cost.total_idr, 0) + "</th></tr>" +
        "<tr><td>" + LGEO.esc(t("per_tonne")) + '</td><td class="num">' + LGEO.fmt(cost.per_tonne_idr, 0) +
        "</td></tr></table>";
      html +=
        '<ul class="facts"><li id="plan-fuel">' + LGEO.esc(t("fuel_l")) + ": " + LGEO.fmt(cost.fuel_l, 0) + " " +
        LGEO.esc(t("litres")) + "</li><li id=\"plan-co2\">" + LGEO.esc(t("co2")) + marks(figures, "co2") + ": " +
        LGEO.fmt(p.co2_kg !== undefined ? p.co2_kg : cost.co2_kg, 0) + " " + LGEO.esc(t("kg")) + "</li>" +
        (p.vehicles ? "<li>" + LGEO.esc(t("vehicles")) + ": " + LGEO.fmt(p.vehicles, 0) + "</li>" : "") + "</ul>";
    }
    if (p.margin && LGEO.prices) html += LGEO.prices.marginHtml(p.margin);
    var notes = p.notes || [];
    if (notes.length) {
      html +=
        '<div class="notes"><h3>' + LGEO.esc(t("notes")) + '</h3><ul id="plan-notes">' +
        notes
          .map(function (n) {
            return "<li>" + LGEO.esc(noteText(n)) + "</li>";
          })
          .join("") +
        "</ul></div>";
    }
    if (figures.length) {
      html +=
        '<details class="figures"><summary>' + LGEO.esc(t("sources")) + "</summary>" +
        (figures.some(function (f) {
          return f.assumption;
        })
          ? '<p class="hint">' + LGEO.esc(t("assumption_mark")) + "</p>"
          : "") +
        '<ol id="plan-figures">' +
        figures
          .map(function (f) {
            return (
              '<li id="' + figureId(f.key) + '"' + (f.assumption ? ' class="is-assumption"' : "") + "><code>" +
              LGEO.esc(f.key) + "</code> = " + LGEO.fmt(f.value, 2) + " " + LGEO.esc(f.unit || "") +
              (f.assumption ? " <strong>(" + LGEO.esc(t("assumption")) + ")</strong>" : "") + "<br><small>" +
              LGEO.esc(f.source || "") + "</small></li>"
            );
          })
          .join("") +
        "</ol></details>";
    }
    var out = LGEO.el("plan-result");
    out.innerHTML = html;
    // an assumption mark opens the sources and scrolls to the figure
    Array.prototype.forEach.call(out.querySelectorAll("a.assumption"), function (a) {
      a.addEventListener("click", function () {
        var d = out.querySelector("details.figures");
        if (d) d.open = true;
      });
    });
    if (layer.getLayers().length) map.fitBounds(layer.getBounds().pad(0.1));
    if (out.scrollIntoView) out.scrollIntoView({ block: "nearest" });
  }

  /* ---- shipments ---------------------------------------------------------------- */
  function shipmentsPanel(map) {
    var t = LGEO.t;
    var el = LGEO.el;
    var state = { key: "", role: "", prefix: "", selected: null, pending: {} };
    var msg = el("ship-msg");

    var layer = LGEO.viewLayer(map, {
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
        onEachFeature: function (f, l) {
          var p = f.properties;
          l.bindPopup(
            "<h3>" + LGEO.esc(p.code || "#" + f.id) + "</h3><p>" + LGEO.esc(t("status")) + ": " +
              LGEO.esc(t("status_" + p.status)) + "</p><p>" + LGEO.fmt(p.tonnes, 1) + " t · " +
              LGEO.esc(t("eta")) + ": " + LGEO.esc(LX.time(p.eta)) + "</p>"
          );
          l.on("click", function () {
            select(f.id);
          });
        },
      },
    });

    function signedIn(info) {
      state.role = info.role;
      state.prefix = info.prefix;
      el("signed-out").hidden = true;
      el("signed-in").hidden = false;
      el("who").textContent = t("signed_in", { role: info.role, prefix: info.prefix });
      show(msg, info.can_write ? "" : t("read_only"), info.can_write ? "" : "error");
    }

    function signOut(text, kind) {
      state.key = "";
      state.role = "";
      storeKey("");
      el("signed-in").hidden = true;
      el("signed-out").hidden = false;
      el("api-key").value = "";
      show(msg, text || "", kind);
      render();
    }

    function check(key, quiet) {
      return api("GET", "/logistics/key", { key: key }).then(
        function (info) {
          state.key = key;
          storeKey(key);
          signedIn(info);
          render();
        },
        function (err) {
          if (err.status === 401 || err.status === 403) signOut(quiet ? "" : LX.message(err), "error");
          else show(msg, LX.message(err), "error");
          if (!quiet) el("api-key").focus();
        }
      );
    }

    el("signin-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var key = el("api-key").value.trim();
      if (key) check(key, false);
    });
    el("signout").addEventListener("click", function () {
      signOut("", "");
      el("api-key").focus();
    });

    /* A write failed: say why; a revoked key signs out; a conflict reloads. */
    function failed(err, node) {
      show(node || msg, LX.message(err, state.role), "error");
      if (err.status === 401) {
        state.key = "";
        storeKey("");
        el("signed-in").hidden = true;
        el("signed-out").hidden = false;
      }
      if ((err.status === 409 || err.status === 412) && state.selected) select(state.selected, true);
    }

    function list() {
      return api("GET", "/shipments", { params: { limit: 10 } }).then(
        function (fc) {
          var feats = fc.features || [];
          el("shipments").innerHTML = feats.length
            ? feats
                .map(function (f) {
                  var p = f.properties;
                  return (
                    '<li data-id="' + f.id + '" data-status="' + LGEO.esc(p.status) + '"><button type="button" data-id="' +
                    f.id + '"' + (state.selected === f.id ? ' aria-current="true"' : "") + '><span class="name">' +
                    LGEO.esc(p.code) + " · " + LGEO.esc(t("status_" + p.status)) + '</span><span class="meta">' +
                    LGEO.esc(LGEO.cfg.commodities[p.commodity] || p.commodity) + ", " + LGEO.fmt(p.tonnes, 1) + " t → " +
                    LGEO.esc(p.market.name) + " · " + LGEO.esc(LX.time(p.departure)) + "</span></button></li>"
                  );
                })
                .join("")
            : '<li class="empty">' + LGEO.esc(t("shipments_none")) + "</li>";
          Array.prototype.forEach.call(el("shipments").querySelectorAll("button[data-id]"), function (b) {
            b.addEventListener("click", function () {
              select(Number(b.getAttribute("data-id")));
            });
          });
        },
        function (err) {
          show(msg, LX.message(err), "error");
        }
      );
    }

    /* The server's fixed English note of the creation event: "dibuat" already says it. */
    function isCreatedNote(e) {
      return (e.from_status === null || e.from_status === undefined) && e.note === "shipment created";
    }

    function eventText(e) {
      if (e.from_status === null || e.from_status === undefined) return t("event_created") + ": " + t("status_" + e.to_status);
      if (e.from_status === e.to_status) return t("event_position");
      return t("status_" + e.from_status) + " → " + t("status_" + e.to_status);
    }

    function detail(f) {
      var p = f.properties;
      var steps = p.next_statuses || [];
      var events = p.events || [];
      var html =
        '<h3 id="detail-title">' + LGEO.esc(p.code) + ' <span class="badge" data-status="' + LGEO.esc(p.status) +
        '" id="detail-status">' + LGEO.esc(t("status_" + p.status)) + "</span></h3><p>" +
        LGEO.esc(LGEO.cfg.commodities[p.commodity] || p.commodity) + ", " + LGEO.fmt(p.tonnes, 1) + " t → " +
        LGEO.esc(p.market.name) + "<br>" + LGEO.esc(t("start")) + ": " + LGEO.esc(LX.time(p.departure)) + "<br>" +
        LGEO.esc(t("eta")) + ": " + LGEO.esc(LX.time(p.eta)) + "</p>" +
        '<h4 id="steps-title">' + LGEO.esc(t("next_steps")) + "</h4>" +
        (steps.length
          ? '<div class="buttons steps" role="group" aria-labelledby="steps-title">' +
            steps
              .map(function (s) {
                return (
                  '<button type="button" class="step' + (s === "cancelled" ? " secondary" : "") + '" data-status="' + s + '">' +
                  LGEO.esc(t("move_to", { status: t("status_" + s) })) + "</button>"
                );
              })
              .join("") +
            "</div>"
          : '<p class="hint">' + LGEO.esc(t("final_status")) + "</p>") +
        (state.key ? "" : '<p class="hint">' + LGEO.esc(t("signin_first")) + "</p>") +
        '<p id="step-msg" class="msg" role="alert" hidden></p>' +
        '<h4 id="timeline-title">' + LGEO.esc(t("timeline")) + '</h4><ol id="timeline" class="timeline" aria-labelledby="timeline-title">' +
        events
          .map(function (e) {
            return (
              '<li data-to="' + LGEO.esc(e.to_status) + '"><time datetime="' + LGEO.esc(e.at) + '">' + LGEO.esc(LX.time(e.at)) +
              "</time> " + LGEO.esc(eventText(e)) + (e.note && !isCreatedNote(e) ? " — " + LGEO.esc(e.note) : "") +
              (e.actor ? ' <small>(' + LGEO.esc(t("by")) + " " + LGEO.esc(e.actor) + ")</small>" : "") + "</li>"
            );
          })
          .join("") +
        "</ol>";
      var box = el("shipment-detail");
      box.innerHTML = html;
      box.hidden = false;
      box.setAttribute("data-version", String(p.version));
      Array.prototype.forEach.call(box.querySelectorAll("button.step"), function (b) {
        b.addEventListener("click", function () {
          move(f, b.getAttribute("data-status"));
        });
      });
    }

    function select(id, keepMessage) {
      state.selected = id;
      return api("GET", "/shipments/" + id).then(
        function (f) {
          state.current = f;
          detail(f);
          if (!keepMessage) show(msg, "", "");
          list();
        },
        function (err) {
          show(msg, LX.message(err), "error");
        }
      );
    }

    function requireKey(node) {
      if (state.key) return true;
      el("sec-shipments").open = true;
      show(node || msg, t("signin_first"), "error");
      el("api-key").focus();
      return false;
    }

    function move(f, status) {
      var stepMsg = el("step-msg");
      if (!requireKey(stepMsg)) return;
      // A retry of the same step (e.g. after a lost answer) reuses its key: applied once.
      var id = f.id + ":" + f.properties.version + ":" + status;
      var idem = state.pending[id] || (state.pending[id] = newKey());
      Array.prototype.forEach.call(el("shipment-detail").querySelectorAll("button.step"), function (b) {
        b.disabled = true;
      });
      api("PATCH", "/shipments/" + f.id, {
        key: state.key,
        body: { status: status },
        // No If-Match: a change by someone else that leaves this step legal (a position
        // report) must not block it; an illegal step answers 409 and the view reloads.
        headers: { "Idempotency-Key": idem },
      }).then(
        function (answer) {
          delete state.pending[id];
          var p = answer.shipment.properties;
          select(f.id).then(function () {
            show(el("step-msg"), t("moved", { code: p.code, status: t("status_" + p.status) }), "ok");
          });
          layer.reload();
        },
        function (err) {
          if (err.status) delete state.pending[id];
          Array.prototype.forEach.call(el("shipment-detail").querySelectorAll("button.step"), function (b) {
            b.disabled = false;
          });
          if (err.status === 409 || err.status === 412) {
            // reload what the shipment is now, then say why the step was refused
            var text = LX.message(err, state.role);
            select(f.id, true).then(function () {
              show(el("step-msg"), text, "error");
            });
            return;
          }
          failed(err, stepMsg);
        }
      );
    }

    function save(request) {
      var out = el("save-msg") || msg;
      if (!requireKey(out)) return;
      var button = el("save-shipment");
      button.disabled = true;
      show(out, t("saving"), "");
      api("POST", "/shipments", { key: state.key, body: request }).then(
        function (f) {
          button.disabled = false;
          show(out, t("saved", { code: f.properties.code }), "ok");
          el("sec-shipments").open = true;
          select(f.id);
          layer.reload();
        },
        function (err) {
          button.disabled = false;
          failed(err, out);
        }
      );
    }

    function render() {
      if (state.current) detail(state.current);
    }

    var saved = storedKey();
    if (saved) check(saved, true);
    list();
    return { save: save, select: select, reload: list };
  }

  /* ---- allocation ------------------------------------------------------------- */
  function flowWidth(tonnes, max) {
    return max > 0 ? 1.5 + 10 * Math.sqrt(tonnes / max) : 3;
  }

  function niceRound(v) {
    if (v <= 0) return 0;
    var p = Math.pow(10, Math.floor(Math.log10(v)));
    var n = v / p;
    return (n >= 5 ? 5 : n >= 2 ? 2 : 1) * p;
  }

  function scaleHtml(max) {
    var t = LGEO.t;
    if (!(max > 0)) return "";
    var values = [max, niceRound(max / 4), niceRound(max / 20)].filter(function (v, i, a) {
      return v > 0 && a.indexOf(v) === i;
    });
    return (
      '<p class="legend-title">' + LGEO.esc(t("scale_title")) + '</p><ul class="flow-scale">' +
      values
        .map(function (v) {
          var w = flowWidth(v, max).toFixed(1);
          return (
            '<li><svg class="scale-line" width="64" height="16" aria-hidden="true"><line x1="2" y1="8" x2="62" y2="8" stroke="' +
            FLOW_COLOR + '" stroke-opacity="0.7" stroke-width="' + w + '" data-width="' + w + '"></line></svg> ' +
            LGEO.fmt(v, 0) + " " + LGEO.esc(t("tonnes_short")) + "</li>"
          );
        })
        .join("") +
      "</ul>"
    );
  }

  function summaryHtml(s, count, ferryNames) {
    var t = LGEO.t;
    var coms = LGEO.cfg.commodities;
    var html =
      '<table class="breakdown"><tr><th>' + LGEO.esc(t("total_cost")) + '</th><td class="num" id="alloc-cost">' +
      LGEO.esc(LX.rupiah(s.total_cost_idr)) + "</td></tr><tr><td>" + LGEO.esc(t("delivered_t")) + '</td><td class="num">' +
      LGEO.fmt(s.delivered_t, 0) + " t</td></tr><tr><td>" + LGEO.esc(t("demand_t")) + '</td><td class="num">' +
      LGEO.fmt(s.demand_t, 0) + " t</td></tr><tr><td>" + LGEO.esc(t("supply_t")) + '</td><td class="num">' +
      LGEO.fmt(s.supply_t, 0) + " t</td></tr></table>";
    html += "<p>" + LGEO.esc(t("flows_count", { n: count })) + "</p>";
    var ferry = s.ferry || [];
    if (ferry.length) {
      html +=
        '<h3>' + LGEO.esc(t("ferry_use")) + '</h3><ul id="alloc-ferry">' +
        ferry
          .map(function (f) {
            var name = ferryNames[f.ferry_link_id] || "#" + f.ferry_link_id;
            var cap = f.capacity_t;
            var pct = cap ? " (" + LGEO.fmt((100 * f.used_t) / cap, 1) + " %)" : "";
            return (
              "<li>" + LGEO.esc(name) + ": " + LGEO.fmt(f.used_t, 0) + " t " + LGEO.esc(t("of")) + " " +
              (cap === null || cap === undefined ? LGEO.esc(t("unlimited")) : LGEO.fmt(cap, 0) + " t") + pct + "</li>"
            );
          })
          .join("") +
        "</ul>";
    }
    var unmet = (s.unmet || []).filter(function (u) {
      return u.tonnes > 0;
    });
    html += '<h3>' + LGEO.esc(t("unmet")) + "</h3>";
    html += unmet.length
      ? '<table class="breakdown" id="alloc-unmet"><tr><th>' + LGEO.esc(t("layer_markets")) + "</th><th>" +
        LGEO.esc(t("commodity")) + '</th><th class="num">t</th></tr>' +
        unmet
          .map(function (u) {
            return (
              "<tr><td>" + LGEO.esc(u.market) + "</td><td>" + LGEO.esc(coms[u.commodity] || u.commodity) +
              '</td><td class="num">' + LGEO.fmt(u.tonnes, 0) + "</td></tr>"
            );
          })
          .join("") +
        "</table>"
      : '<p id="alloc-unmet">' + LGEO.esc(t("unmet_none")) + "</p>";
    return html;
  }

  /* The month's minimum-cost allocation, each flow drawn along its route's legs. */
  function allocationPanel(map, filter, ferryNames) {
    var t = LGEO.t;
    var el = LGEO.el;
    var layer = L.featureGroup().addTo(map);
    var month = el("month");
    month.value = String(new Date(Date.now() + WIB_MS).getUTCMonth() + 1);
    var seq = 0;

    function popup(p) {
      return (
        "<h3>" + LGEO.esc(p.farm) + " → " + LGEO.esc(p.market) + "</h3><p>" +
        LGEO.esc(LGEO.cfg.commodities[p.commodity] || p.commodity) + ": " + LGEO.fmt(p.tonnes, 1) + " t · " +
        LGEO.esc(LX.rupiah(p.cost_idr)) + "</p><p>" + LGEO.esc(LX.duration(p.duration_s)) + " · " +
        LGEO.esc(LX.km(p.road_m)) + "</p>"
      );
    }

    function reload() {
      var mine = ++seq;
      var out = el("alloc-summary");
      out.innerHTML = '<p class="msg">' + LGEO.esc(t("allocating")) + "</p>";
      return api("POST", "/logistics/allocate", {
        body: {
          month: Number(month.value),
          year: new Date(Date.now() + WIB_MS).getUTCFullYear(),
          commodity: filter.value || null,
        },
      }).then(
        function (data) {
          if (mine !== seq) return;
          var feats = (data.features || []).filter(function (f) {
            return f.geometry && f.properties.tonnes > 0;
          });
          var max = feats.reduce(function (m, f) {
            return Math.max(m, f.properties.tonnes);
          }, 0);
          layer.clearLayers();
          feats.forEach(function (f) {
            var p = f.properties;
            var w = flowWidth(p.tonnes, max);
            var legs = p.legs && p.legs.length ? p.legs : [{ mode: "road", geometry: f.geometry }];
            legs.forEach(function (leg) {
              var ferry = leg.mode === "ferry";
              L.geoJSON(leg.geometry, {
                pane: "flows",
                style: {
                  color: FLOW_COLOR,
                  weight: w,
                  opacity: 0.55,
                  dashArray: ferry ? "8 6" : null,
                  className: "lgeo-flow lgeo-flow-" + (ferry ? "ferry" : "road"),
                },
                onEachFeature: function (_, l) {
                  l.bindPopup(popup(p));
                },
              }).addTo(layer);
            });
          });
          out.innerHTML = summaryHtml(data.summary || {}, feats.length, ferryNames);
          el("flow-scale").innerHTML = scaleHtml(max);
          LGEO.noteDemo(data);
        },
        function (err) {
          if (mine !== seq) return;
          out.innerHTML = '<p class="msg error" role="alert">' + LGEO.esc(LX.message(err)) + "</p>";
        }
      );
    }
    el("alloc-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      reload();
    });
    month.addEventListener("change", reload);
    reload();
    return { reload: reload };
  }
})();
