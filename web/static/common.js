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

  LGEO.getJSON = function (path, params, options) {
    return LGEO.track(fetch(LGEO.url(path, params), options).then(handle));
  };

  LGEO.postJSON = function (path, data, options) {
    var opts = Object.assign(
      {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(data),
      },
      options || {}
    );
    return LGEO.track(fetch(LGEO.url(path, {}), opts).then(handle));
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
    function reload() {
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
          if (err.name !== "AbortError") LGEO.status(LGEO.t("error") + ": " + err.message);
        });
    }
    map.on("moveend", reload);
    layer.reload = reload;
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
        LGEO.status(LGEO.t("error") + ": " + err.message);
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
