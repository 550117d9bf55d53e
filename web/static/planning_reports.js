/* /peta/perencanaan, section "Laporan warga": kecamatan (or kabupaten) coloured by
 * citizen reports per 10,000 people, from GET /reports/stats?f=geojson (the outlines
 * come with the answer). Fixed classes (web/classify.py REPORT_RATE); when an area of
 * the map has no population figure, the whole map counts reports instead (REPORT_COUNT)
 * and says so. No report at all in the selection: every area grey, "tidak ada data".
 * Opening the section puts this layer on the map in place of the coverage layer;
 * closing it brings the coverage back. Loaded by the planning page before it boots;
 * planning.js calls LGEO.planningReports(map, cfg, {coverage: layer}). */
(function () {
  "use strict";
  var LGEO = window.LGEO;

  /* The class of a value: how many breaks it reaches (as FixedClasses.index). */
  function classOf(classes, v) {
    if (v === null || v === undefined || !isFinite(v)) return null;
    var i = 0;
    classes.breaks.forEach(function (b) {
      if (v >= b) i += 1;
    });
    return i;
  }

  function classLabels(classes) {
    var b = classes.breaks;
    var f = function (v) {
      return LGEO.fmt(v, 1);
    };
    var out = ["< " + f(b[0])];
    for (var i = 1; i < b.length; i++) out.push(f(b[i - 1]) + "–" + f(b[i]));
    out.push("≥ " + f(b[b.length - 1]));
    return out;
  }

  function hours(h) {
    return h === null || h === undefined ? "–" : LGEO.t("rmap_hours", { h: LGEO.fmt(h, 1) });
  }

  function pct(p) {
    return p === null || p === undefined ? "–" : LGEO.fmt(p, 0) + " %";
  }

  LGEO.planningReports = function (map, cfg, hooks) {
    var t = LGEO.t;
    var el = LGEO.el;
    var section = el("sec-reports");
    if (!section) return;
    var layer = L.geoJSON(null, { pane: "areas" });
    var msg = el("reports-msg");
    var seq = 0;

    function say(text, kind) {
      msg.textContent = text || "";
      msg.hidden = !text;
      msg.className = "msg" + (kind ? " " + kind : "");
    }

    function period() {
      var from = el("r-from").value;
      var to = el("r-to").value;
      if (from && to) return from + " – " + to;
      if (from) return t("rmap_since", { date: from });
      if (to) return t("rmap_until", { date: to });
      return t("rmap_all_time");
    }

    function legend(classes, title, none) {
      var box = el("reports-legend");
      var labels = classLabels(classes);
      var items = none
        ? []
        : labels
            .map(function (label, i) {
              return { key: String(i), label: label, color: classes.colors[i] };
            })
            .reverse(); // the most reports first
      items.push({ key: "none", label: t("no_data"), color: classes.noData });
      box.innerHTML =
        '<p class="legend-title">' + LGEO.esc(title) + "</p><ul>" +
        items
          .map(function (it) {
            return (
              '<li data-class="' + it.key + '"><span class="swatch" data-color="' + LGEO.esc(it.color) + '"></span>' +
              LGEO.esc(it.label) + "</li>"
            );
          })
          .join("") +
        "</ul>";
      LGEO.paintSwatches(box);
    }

    function figures(p, rate) {
      var rows = [
        [t("rmap_count"), LGEO.fmt(p.count, 0)],
        [t("rmap_per10k"), rate ? LGEO.fmt(p.per_10k, 2) : "–"],
        [t("rmap_median_response"), hours(p.median_response_h)],
        [t("rmap_median_resolution"), hours(p.median_resolution_h)],
        [t("rmap_sla_response"), pct(p.pct_response_within_sla)],
        [t("rmap_sla_resolution"), pct(p.pct_resolution_within_sla)],
        [t("rmap_open"), LGEO.fmt(p.open, 0)],
        [t("rmap_overdue"), LGEO.fmt(p.overdue, 0)],
      ];
      return (
        '<table class="breakdown">' +
        rows
          .map(function (r) {
            return '<tr><th scope="row">' + LGEO.esc(r[0]) + '</th><td class="num">' + LGEO.esc(r[1]) + "</td></tr>";
          })
          .join("") +
        "</table>"
      );
    }

    function draw(fc) {
      var feats = fc.features || [];
      var rate = feats.length > 0 && feats.every(function (f) {
        return f.properties.population > 0;
      });
      var total = (fc.totals && fc.totals.count) || 0;
      var none = total === 0;
      var classes = rate ? cfg.classes.reportRate : cfg.classes.reportCount;
      feats.forEach(function (f) {
        var p = f.properties;
        p.value = rate ? p.per_10k : p.count;
        p["class"] = none ? null : classOf(classes, p.value);
      });
      layer.clearLayers();
      layer.options.style = LGEO.classStyle(classes, "lgeo-report-area");
      layer.addData(fc);
      layer.eachLayer(function (l) {
        var p = l.feature.properties;
        var node = l.getElement && l.getElement();
        if (node) {
          node.setAttribute("data-id", String(l.feature.id));
          node.setAttribute("data-code", p.code || "");
          node.setAttribute("data-class", p["class"] === null ? "none" : String(p["class"]));
        }
        l.bindPopup(
          "<h3>" + LGEO.esc(p.name) + "</h3>" + (p.parent ? '<p class="meta">' + LGEO.esc(p.parent) + "</p>" : "") +
            (none ? "<p>" + LGEO.esc(t("rmap_none")) + "</p>" : figures(p, rate))
        );
      });
      legend(classes, t(rate ? "rmap_legend_rate" : "rmap_legend_count", { period: period() }), none);
      if (none) say(t("rmap_none"), "");
      else if (!rate) say(t("rmap_count_note"), "");
      else say("", "");
      var withReports = feats
        .filter(function (f) {
          return f.properties.count > 0;
        })
        .sort(function (a, b) {
          return (b.properties.value || 0) - (a.properties.value || 0) || b.properties.count - a.properties.count;
        });
      el("reports-total").textContent =
        t("rmap_total", { n: LGEO.fmt(total, 0), areas: LGEO.fmt(withReports.length, 0) }) +
        (fc.unplaced ? " · " + t("rmap_unplaced", { n: LGEO.fmt(fc.unplaced, 0) }) : "");
      el("reports-areas").innerHTML = withReports.length
        ? withReports
            .map(function (f) {
              var p = f.properties;
              var vars = {
                count: LGEO.fmt(p.count, 0),
                rate: LGEO.fmt(p.per_10k, 2),
                resp: hours(p.median_response_h),
                sla: pct(p.pct_response_within_sla),
              };
              return (
                '<li data-id="' + LGEO.esc(f.id) + '" data-code="' + LGEO.esc(p.code) + '"><span class="name">' +
                LGEO.esc(p.name + (p.parent ? ", " + p.parent : "")) + '</span><span class="meta">' +
                LGEO.esc(t(rate ? "rmap_item" : "rmap_item_count", vars)) + "</span></li>"
              );
            })
            .join("")
        : '<li class="empty">' + LGEO.esc(t("rmap_none_item")) + "</li>";
      LGEO.noteDemo(fc);
    }

    function load() {
      if (!section.open) return;
      var from = el("r-from").value;
      var to = el("r-to").value;
      if (from && to && from > to) {
        say(t("rmap_bad_dates"), "error");
        el("r-from").focus();
        return;
      }
      var mine = ++seq;
      say(t("loading"), "");
      LGEO.getJSON("/reports/stats", {
        f: "geojson",
        level: el("r-level").value,
        category: el("r-category").value,
        from: from,
        to: to,
      }).then(
        function (fc) {
          if (mine !== seq || !section.open) return;
          draw(fc);
        },
        function (err) {
          if (mine !== seq) return;
          layer.clearLayers();
          el("reports-legend").innerHTML = "";
          el("reports-areas").innerHTML = "";
          el("reports-total").textContent = "";
          say(LGEO.errorText(err), "error");
        }
      );
    }

    /* Open: reports replace the coverage on the map (and its legend); closed: back. */
    function toggle() {
      var open = section.open;
      ["legend", "legend-title"].forEach(function (id) {
        if (el(id)) el(id).hidden = open;
      });
      if (open) {
        if (hooks && hooks.coverage) map.removeLayer(hooks.coverage);
        layer.addTo(map);
        load();
      } else {
        ++seq;
        map.removeLayer(layer);
        if (hooks && hooks.coverage) hooks.coverage.addTo(map);
      }
    }

    section.addEventListener("toggle", toggle);
    el("reports-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      load();
    });
    ["r-level", "r-category", "r-from", "r-to"].forEach(function (id) {
      el(id).addEventListener("change", load);
    });
    LGEO.reportsLayer = layer;
  };
})();
