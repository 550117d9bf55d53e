/* lampung-geo map pages: shared helpers. Reads its settings from #lgeo-config,
 * finds the Leaflet map folium made, adds our own roads and boundaries (so the map
 * stays readable without base tiles) and starts the page's own script. */
(function () {
  "use strict";
  var LGEO = (window.LGEO = { pages: {}, ready: false });
  var pending = 0;
  var booted = false;
  var capNotes = {};

  function el(id) {
    return document.getElementById(id);
  }
  LGEO.el = el;

  LGEO.esc = function (s) {
    return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  };

  LGEO.t = function (key, vars) {
    var s = (LGEO.cfg && LGEO.cfg.texts[key]) || key;
    Object.keys(vars || {}).forEach(function (k) {
      s = s.replace("{" + k + "}", vars[k]);
    });
    return s;
  };

  /* Colour swatches written as <span class="swatch" data-color="#rrggbb">: the colour is
   * set through the DOM, since the pages' CSP allows no inline style attributes. */
  LGEO.paintSwatches = function (root) {
    Array.prototype.forEach.call((root || document).querySelectorAll(".swatch[data-color]"), function (s) {
      s.style.background = s.getAttribute("data-color");
    });
  };

  /* Leaflet style of a choropleth area: its class colour from ``classes`` (the
     page's fixed classes: colors, noData), or grey when it has no class. */
  LGEO.classStyle = function (classes, className) {
    return function (f) {
      var c = f.properties["class"];
      return {
        color: "#222",
        weight: 1.2,
        fillColor: c === null || c === undefined ? classes.noData : classes.colors[c],
        fillOpacity: 0.75,
        className: className,
      };
    };
  };

  LGEO.fmt = function (value, digits) {
    if (value === null || value === undefined || isNaN(value)) return "–";
    return Number(value).toLocaleString(LGEO.cfg.lang === "id" ? "id-ID" : "en-GB", {
      maximumFractionDigits: digits === undefined ? 1 : digits,
      minimumFractionDigits: 0,
    });
  };

  LGEO.url = function (path, params) {
    var q = new URLSearchParams();
    Object.keys(params || {}).forEach(function (k) {
      var v = params[k];
      if (v !== undefined && v !== null && v !== "") q.set(k, v);
    });
    var s = q.toString();
    return LGEO.cfg.api + path + (s ? "?" + s : "");
  };

  function handle(response) {
    return response
      .json()
      .catch(function () {
        return {};
      })
      .then(function (body) {
        if (!response.ok) {
          var err = new Error(body.description || "HTTP " + response.status);
          err.status = response.status;
          err.body = body;
          throw err;
        }
        return body;
      });
  }

  /* Count requests in flight; the page is "ready" once the first wave has landed. */
  LGEO.track = function (promise) {
    pending += 1;
    document.body.setAttribute("data-pending", String(pending));
    var done = function () {
      pending -= 1;
      document.body.setAttribute("data-pending", String(pending));
      if (pending === 0 && booted && !LGEO.ready) {
        LGEO.ready = true;
        document.body.setAttribute("data-ready", "1");
      }
    };
    promise.then(done, done);
    return promise;
  };

  /* fetch() itself failed (offline, server down): an Error with code "Network". */
  function networkError(err) {
    if (err && err.name === "AbortError") throw err;
    var e = new Error(LGEO.t("err_network"));
    e.code = "Network";
    throw e;
  }

  LGEO.getJSON = function (path, params, options) {
    return LGEO.track(fetch(LGEO.url(path, params), options).then(handle, networkError));
  };

  /* Distances and durations as people say them: "850 m", "2,1 km"; "7 menit", "6 j 40 mnt". */
  LGEO.fmtDistance = function (m) {
    if (m === null || m === undefined || isNaN(m)) return "–";
    if (m < 1000) return LGEO.fmt(Math.round(m / 10) * 10, 0) + " m";
    return LGEO.fmt(m / 1000, m < 100000 ? 1 : 0) + " km";
  };
  LGEO.fmtDuration = function (min) {
    if (min === null || min === undefined || isNaN(min)) return "–";
    var total = Math.max(1, Math.round(min));
    if (total < 60) return LGEO.t("time_min", { m: total });
    return LGEO.t("time_hm", { h: Math.floor(total / 60), m: total % 60 });
  };

  /* An API error in the page's language, from its code and field (never the server's
   * English text): e.g. "Titik ini 12 km dari jalan terdekat. Pilih titik di dekat jalan." */
  LGEO.errorText = function (err) {
    var t = LGEO.t;
    var body = (err && err.body) || {};
    var code = body.code || (err && err.code) || "";
    var status = err && err.status;
    if (code === "Network") return t("err_network");
    if (code === "OffNetwork") {
      if (typeof body.distance_m === "number") return t("err_offnetwork", { distance: LGEO.fmtDistance(body.distance_m) });
      return t("err_offnetwork_plain");
    }
    if (code === "NoRoute" || code === "Unreachable") return t("err_noroute");
    if (code === "GraphNotBuilt" || code === "StaleGraph") return t("err_graph");
    if (status === 503 || status === 429 || code === "Overloaded" || code === "BudgetExceeded") return t("err_busy");
    if (status === 400 || status === 422) return t("err_invalid", { field: body.field || "?" });
    return t("err_generic", { status: status || "?" });
  };

  LGEO.postJSON = function (path, data, options) {
    /* (network failures become code "Network" errors, as in getJSON) */
    var opts = Object.assign(
      {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(data),
      },
      options || {}
    );
    return LGEO.track(fetch(LGEO.url(path, {}), opts).then(handle, networkError));
  };

  LGEO.status = function (msg) {
    el("status").textContent = msg || "";
  };

  LGEO.showDemo = function () {
    var banner = el("demo-banner");
    if (banner && banner.hidden) {
      banner.hidden = false;
      document.body.classList.add("has-demo");
      if (LGEO.map) LGEO.map.invalidateSize();
    }
  };

  LGEO.noteDemo = function (data) {
    if (data && data.demo === true) {
      LGEO.showDemo();
      return;
    }
    var feats = (data && data.features) || [];
    for (var i = 0; i < feats.length; i++) {
      if (feats[i].properties && feats[i].properties.demo === true) {
        LGEO.showDemo();
        return;
      }
    }
  };

  LGEO.capNote = function (name, data) {
    var matched = data.numberMatched;
    var shown = data.numberReturned;
    if (matched !== undefined && shown !== undefined && matched > shown) {
      capNotes[name] = LGEO.t("cap_note", { shown: LGEO.fmt(shown, 0), matched: LGEO.fmt(matched, 0) });
    } else {
      delete capNotes[name];
    }
    var texts = Object.keys(capNotes).map(function (k) {
      return capNotes[k];
    });
    var node = el("cap-note");
    node.textContent = texts.join(" ");
    node.hidden = texts.length === 0;
  };

  LGEO.bbox = function (map, pad) {
    var b = map.getBounds().pad(pad || 0);
    var w = Math.max(-180, b.getWest());
    var e = Math.min(180, b.getEast());
    var s = Math.max(-90, b.getSouth());
    var n = Math.min(90, b.getNorth());
    return [w, s, e, n]
      .map(function (v) {
        return v.toFixed(5);
      })
      .join(",");
  };

  /* A GeoJSON layer that is fetched again, for the view and with a cap, on moveend. */
  LGEO.viewLayer = function (map, opts) {
    var layer = L.geoJSON(null, opts.layerOptions || {}).addTo(map);
    var controller = null;
    var seq = 0;
    var last = null; // {key, bounds, zoom} of the last request
    function reload(ev) {
      var params0 = opts.params ? opts.params(map) : {};
      var key = JSON.stringify(params0);
      // A move that stays inside the padded box already asked for (e.g. the map shrank
      // when the DEMO banner appeared) needs no new request.
      if (ev && last && last.key === key && last.zoom === map.getZoom() && last.bounds.contains(map.getBounds())) return;
      last = { key: key, zoom: map.getZoom(), bounds: map.getBounds().pad(0.1) };
      if (controller) controller.abort();
      controller = new AbortController();
      var mine = ++seq;
      var params = Object.assign(
        { bbox: LGEO.bbox(map, 0.1), limit: opts.cap },
        opts.params ? opts.params(map) : {}
      );
      return LGEO.getJSON(opts.path, params, { signal: controller.signal })
        .then(function (data) {
          if (mine !== seq) return;
          layer.clearLayers();
          layer.addData(data);
          LGEO.noteDemo(data);
          if (opts.capNote) LGEO.capNote(opts.name, data);
          if (opts.onData) opts.onData(data, layer);
        })
        .catch(function (err) {
          if (err.name === "AbortError") return;
          last = null;
          LGEO.status(LGEO.errorText(err));
        });
    }
    map.on("moveend", reload);
    layer.reload = function () {
      return reload();
    };
    reload();
    return layer;
  };

  /* Load a small collection once (ports, markets, ferry links). */
  LGEO.onceLayer = function (map, path, params, layerOptions) {
    var layer = L.geoJSON(null, layerOptions || {}).addTo(map);
    layer.loaded = LGEO.getJSON(path, Object.assign({ limit: 1000 }, params || {})).then(
      function (data) {
        layer.addData(data);
        LGEO.noteDemo(data);
        return data;
      },
      function (err) {
        LGEO.status(LGEO.errorText(err));
        return { features: [] };
      }
    );
    return layer;
  };

  var ROAD_STYLE = [
    { color: "#b03a2e", weight: 4 },
    { color: "#c0392b", weight: 3.5 },
    { color: "#d35400", weight: 3 },
    { color: "#a0522d", weight: 2.5 },
    { color: "#4d4d4d", weight: 1.8 },
    { color: "#6b6b6b", weight: 1.2 },
    { color: "#7a7a7a", weight: 1 },
    { color: "#8a8a8a", weight: 0.8 },
  ];

  function roadRank(map) {
    var z = map.getZoom();
    if (z < 9) return 3;
    if (z < 11) return 4;
    return 7;
  }

  LGEO.baseLayers = function (map, cfg) {
    var layers = {};
    layers.roads = LGEO.viewLayer(map, {
      name: "roads",
      path: "/roads",
      cap: cfg.roadCap,
      params: function (m) {
        return { max_rank: roadRank(m) };
      },
      layerOptions: {
        pane: "roads",
        interactive: false,
        style: function (f) {
          var s = ROAD_STYLE[Math.min(f.properties.rank, ROAD_STYLE.length - 1)];
          return { color: s.color, weight: s.weight, opacity: 0.9, interactive: false };
        },
      },
    });
    if (cfg.page !== "planning") {
      layers.areas = LGEO.viewLayer(map, {
        name: "areas",
        path: "/collections/admin_areas/items",
        cap: 500,
        params: function () {
          return { level: "kabupaten" };
        },
        layerOptions: {
          pane: "areas",
          interactive: false,
          style: function () {
            return { color: "#4b2a7b", weight: 1.6, dashArray: "5 4", fill: false, interactive: false };
          },
        },
      });
    }
    return layers;
  };

  function makePanes(map) {
    [
      ["areas", 350],
      ["roads", 360],
      ["flows", 410],
      ["routes", 420],
      ["points", 450],
      ["results", 620],
    ].forEach(function (p) {
      var pane = map.createPane(p[0]);
      pane.style.zIndex = String(p[1]);
    });
  }

  function watchTiles(map) {
    map.eachLayer(function (layer) {
      if (layer instanceof L.TileLayer) {
        layer.once("tileerror", function () {
          var note = el("tile-note");
          note.textContent = LGEO.t("no_tiles");
          note.hidden = false;
        });
      }
    });
  }

  /* Leaflet's own English control texts, in the page's language. */
  function translateControls(map) {
    var zc = map.zoomControl;
    [
      [zc && zc._zoomInButton, "zoom_in"],
      [zc && zc._zoomOutButton, "zoom_out"],
    ].forEach(function (pair) {
      if (!pair[0]) return;
      pair[0].title = LGEO.t(pair[1]);
      pair[0].setAttribute("aria-label", LGEO.t(pair[1]));
    });
    map.on("popupopen", function (e) {
      var close = e.popup.getElement() && e.popup.getElement().querySelector(".leaflet-popup-close-button");
      if (close) {
        close.title = LGEO.t("close_popup");
        close.setAttribute("aria-label", LGEO.t("close_popup"));
      }
    });
  }

  LGEO.boot = function () {
    // Forms that only hold choices never submit (no inline onsubmit: the CSP forbids it).
    Array.prototype.forEach.call(document.querySelectorAll("form[data-nosubmit]"), function (f) {
      f.addEventListener("submit", function (ev) {
        ev.preventDefault();
      });
    });
    var node = el("lgeo-config");
    if (!node) return;
    var cfg = (LGEO.cfg = JSON.parse(node.textContent));
    var map = (LGEO.map = window[cfg.map]);
    map.attributionControl.addAttribution(cfg.dataAttribution);
    map.getContainer().setAttribute("aria-label", LGEO.t("map"));
    if (cfg.startBounds) map.fitBounds(cfg.startBounds, { animate: false });
    translateControls(map);
    makePanes(map);
    watchTiles(map);
    LGEO.layers = LGEO.baseLayers(map, cfg);
    var page = LGEO.pages[cfg.page];
    if (page) page(map, cfg);
    booted = true;
    if (pending === 0) {
      LGEO.ready = true;
      document.body.setAttribute("data-ready", "1");
    }
  };

  document.addEventListener("DOMContentLoaded", LGEO.boot);
})();
