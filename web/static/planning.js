/* /peta/perencanaan: coverage choropleth (fixed classes, see web/classify.py), a
 * 15/30/60-minute comparison, the underserved ranking (areas with nobody uncovered are
 * left out by the API), proposed new sites with their kecamatan/kabupaten and the
 * coverage before and after, and downloads (GeoPackage, PNG, GeoJSON, CSV) made by the
 * server for exactly the map on screen (their names carry category, travel mode,
 * threshold, level and date). */
(function () {
  "use strict";
  var LGEO = window.LGEO;
  var current = null;
  var blobUrls = [];

  /* The value mapped for an area: the coverage share if the API gives one, else population. */
  function areaValue(p, coverage) {
    if (!coverage) return p.population;
    var pct = Object.keys(p).filter(function (k) {
      return /^percent_.*min$/.test(k);
    });
    if (pct.length) return p[pct[0]];
    var keys = ["coverage_pct", "pct_covered", "percent", "covered_pct", "share_pct"];
    for (var i = 0; i < keys.length; i++) if (p[keys[i]] !== undefined && p[keys[i]] !== null) return p[keys[i]];
    if (p.share !== undefined && p.share !== null) return 100 * p.share;
    if (p.covered !== undefined && p.population) return (100 * p.covered) / p.population;
    return null;
  }

  /* An API failure in the page's language: the server's own (English) words only on
   * English pages. */
  function problem(err) {
    var t = LGEO.t;
    if (!err.status) return t("err_network");
    if (err.status === 503 || err.status === 429) return t("err_busy");
    var desc = err.body && err.body.description;
    return t("error") + (LGEO.cfg.lang === "en" && desc ? ": " + desc : " (" + err.status + ")");
  }

  function csvCell(v) {
    if (v === null || v === undefined) return "";
    if (typeof v === "object") v = JSON.stringify(v);
    var s = String(v);
    return /[",\n;]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }

  function toCsv(features) {
    var cols = [];
    features.forEach(function (f) {
      Object.keys(f.properties || {}).forEach(function (k) {
        if (cols.indexOf(k) < 0) cols.push(k);
      });
    });
    var lines = [["id"].concat(cols).join(",")];
    features.forEach(function (f) {
      lines.push(
        [csvCell(f.id)]
          .concat(
            cols.map(function (k) {
              return csvCell(f.properties[k]);
            })
          )
          .join(",")
      );
    });
    return lines.join("\n") + "\n";
  }

  function setDownloads(fc, name) {
    blobUrls.forEach(function (u) {
      URL.revokeObjectURL(u);
    });
    var gj = URL.createObjectURL(new Blob([JSON.stringify(fc)], { type: "application/geo+json" }));
    var csv = URL.createObjectURL(new Blob([toCsv(fc.features)], { type: "text/csv" }));
    blobUrls = [gj, csv];
    var a = LGEO.el("download-geojson");
    var b = LGEO.el("download-csv");
    a.href = gj;
    a.setAttribute("download", name + ".geojson");
    b.href = csv;
    b.setAttribute("download", name + ".csv");
  }

  /* The class of a value: how many breaks it reaches (50 is in 50–70); null: no class.
   * The same rule as FixedClasses.index in web/classify.py. */
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
    var unit = classes.unit ? " " + classes.unit : "";
    var out = ["< " + LGEO.fmt(b[0], 0) + unit];
    for (var i = 1; i < b.length; i++) out.push(LGEO.fmt(b[i - 1], 0) + "–" + LGEO.fmt(b[i], 0) + unit);
    out.push("≥ " + LGEO.fmt(b[b.length - 1], 0) + unit);
    return out;
  }

  /* The legend: its title says what is mapped (threshold and travel mode); swatch colours
   * are set through the DOM, not inline style attributes (the page's CSP has none). */
  function legend(classes, title) {
    var t = LGEO.t;
    var box = LGEO.el("legend");
    var labels = classLabels(classes);
    var order = labels.map(function (_, i) {
      return i;
    });
    if (classes.kind !== "coverage") order.reverse(); // darkest (the worst / the most) first
    box.innerHTML =
      '<p class="legend-title">' + LGEO.esc(title) + "</p><ul>" +
      order
        .map(function (i) {
          return '<li data-class="' + i + '"><span class="swatch"></span>' + LGEO.esc(labels[i]) + "</li>";
        })
        .join("") +
      '<li data-class="none"><span class="swatch"></span>' + LGEO.esc(t("no_data")) + "</li></ul>";
    Array.prototype.forEach.call(box.querySelectorAll("li"), function (li) {
      var c = li.getAttribute("data-class");
      li.querySelector(".swatch").style.background = c === "none" ? classes.noData : classes.colors[Number(c)];
    });
  }

  LGEO.pages.planning = function (map, cfg) {
    var t = LGEO.t;
    var el = LGEO.el;
    var areas = L.geoJSON(null, { pane: "areas" }).addTo(map);
    var sites = L.featureGroup().addTo(map);

    function params() {
      return { category: el("category").value, threshold: el("threshold").value, level: el("level").value };
    }

    function draw(fc, coverage) {
      var classes = coverage ? cfg.classes.coverage : cfg.classes.population;
      var values = fc.features.map(function (f) {
        var v = areaValue(f.properties, coverage);
        return v === undefined ? null : v;
      });
      return Promise.resolve().then(function () {
        areas.clearLayers();
        fc.features.forEach(function (f, i) {
          f.properties.value = values[i];
          f.properties["class"] = classOf(classes, values[i]);
        });
        areas.options.style = LGEO.classStyle(classes, "lgeo-area");
        areas.addData(fc);
        areas.eachLayer(function (layer) {
          var p = layer.feature.properties;
          layer.bindPopup(
            "<h3>" + LGEO.esc(p.name) + "</h3><p>" + LGEO.esc(coverage ? t("coverage") : t("population")) + ": " +
              LGEO.fmt(p.value, coverage ? 1 : 0) + (coverage ? " %" : "") + "</p>" +
              (coverage && p.population ? "<p>" + LGEO.esc(t("population")) + ": " + LGEO.fmt(p.population, 0) + "</p>" : "")
          );
        });
        var mode = fc.profile ? t("profile_" + fc.profile) : "";
        legend(
          classes,
          coverage ? t("legend_coverage", { minutes: params().threshold, mode: mode }) : t("legend_population")
        );
        var name = "coverage_" + params().category + "_" + params().threshold + "min_" + params().level;
        setDownloads(fc, coverage ? name : "population_" + params().level);
        current = fc;
        return classes;
      });
    }

    function ranking() {
      var list = el("underserved");
      list.innerHTML = "";
      if (!cfg.endpoints.underserved) return;
      var p = params();
      LGEO.getJSON("/coverage/underserved", { category: p.category, minutes: p.threshold, level: p.level, limit: 10 }).then(
        function (body) {
          var key = "uncovered_" + p.threshold + "min";
          var pkey = "percent_" + p.threshold + "min";
          var areasList = (body.areas || []).filter(function (a) {
            return a[key] > 0;
          });
          list.innerHTML = areasList.length
            ? areasList
                .map(function (a) {
                  return (
                    '<li data-name="' + LGEO.esc(a.name) + '"><span class="name">' + LGEO.esc(a.name) +
                    '</span><span class="meta">' + LGEO.fmt(a[pkey], 1) + " % · " + LGEO.esc(t("uncovered")) + " " +
                    LGEO.fmt(a[key], 0) + " " + LGEO.esc(t("people")) + "</span></li>"
                  );
                })
                .join("")
            : '<li class="empty">' + LGEO.esc(t("underserved_none")) + "</li>";
        },
        function (err) {
          LGEO.status(problem(err));
        }
      );
    }

    /* Proposed sites: how many the user asks for; each with its rank, kecamatan and
     * kabupaten, the people it newly covers and the coverage with it and those before. */
    var sitesSeq = 0;
    function loadSites() {
      sites.clearLayers();
      el("sites").innerHTML = "";
      if (!cfg.endpoints.sites) return;
      var p = params();
      var count = Number(el("site-count").value);
      var mine = ++sitesSeq;
      var summary = el("sites-summary");
      summary.innerHTML = '<p class="hint">' + LGEO.esc(t("computing_sites")) + "</p>";
      var body = { category: p.category, count: count, minutes: Number(p.threshold) };
      if (current && current.profile) body.profile = current.profile;
      LGEO.postJSON("/plan/sites", body).then(
        function (data) {
          if (mine !== sitesSeq) return;
          var feats = data.features || [];
          function place(q) {
            if (!q.kecamatan && !q.kabupaten) return t("site_unknown_place");
            if (!q.kecamatan) return q.kabupaten;
            return t("site_place", { kecamatan: q.kecamatan, kabupaten: q.kabupaten || "–" });
          }
          L.geoJSON(feats, {
            pointToLayer: function (f, latlng) {
              return L.marker(latlng, {
                pane: "results",
                keyboard: true,
                title: t("site_rank", { rank: f.properties.rank }) + " — " + place(f.properties),
                alt: t("site_rank", { rank: f.properties.rank }),
                icon: L.divIcon({
                  className: "lgeo-site",
                  html: "<span>" + LGEO.esc(f.properties.rank) + "</span>",
                  iconSize: [26, 26],
                }),
              });
            },
            onEachFeature: function (f, layer) {
              var q = f.properties;
              layer.bindPopup(
                "<h3>" + LGEO.esc(t("site_rank", { rank: q.rank })) + "</h3><p>" + LGEO.esc(place(q)) + "</p><p>+" +
                  LGEO.fmt(q.newly_covered_population, 0) + " " + LGEO.esc(t("people")) + "; " +
                  LGEO.esc(t("site_after", { percent: LGEO.fmt(q.percent_after, 1) })) + "</p>"
              );
            },
          }).addTo(sites);
          var mode = t("profile_" + (data.profile || ""));
          summary.innerHTML = feats.length
            ? '<table class="breakdown" id="sites-coverage"><tr><th scope="row">' +
              LGEO.esc(t("coverage_before")) + ' <small>(' + LGEO.esc(LGEO.fmt(data.minutes, 0)) + " " + LGEO.esc(t("minutes_short")) + ", " +
              LGEO.esc(mode) + ')</small></th><td class="num" id="sites-before">' + LGEO.fmt(data.percent_before, 1) +
              ' %</td></tr><tr><th scope="row">' + LGEO.esc(t("coverage_after", { n: feats.length })) +
              '</th><td class="num" id="sites-after">' + LGEO.fmt(data.percent_after, 1) + " %</td></tr></table>"
            : "";
          el("sites").innerHTML = feats.length
            ? feats
                .map(function (f) {
                  var q = f.properties;
                  return (
                    '<li data-rank="' + LGEO.esc(q.rank) + '"><span class="name">' + LGEO.esc(t("site_rank", { rank: q.rank })) +
                    ": " + LGEO.esc(place(q)) + '</span><span class="meta">+' + LGEO.fmt(q.newly_covered_population, 0) +
                    " " + LGEO.esc(t("people")) + " · " + LGEO.esc(t("site_after", { percent: LGEO.fmt(q.percent_after, 1) })) +
                    "</span></li>"
                  );
                })
                .join("")
            : '<li class="empty">' + LGEO.esc(t("sites_none")) + "</li>";
          LGEO.noteDemo(data);
        },
        function (err) {
          if (mine !== sitesSeq) return;
          summary.innerHTML = '<p class="msg error" role="alert">' + LGEO.esc(problem(err)) + "</p>";
        }
      );
    }

    /* Downloads made by the server for the map on screen (set only once it is drawn). */
    function setServerDownloads(q, fc) {
      var what = [
        cfg.categories[q.category] || q.category,
        q.minutes + " " + t("minutes_short"),
        fc.profile ? t("profile_" + fc.profile) : "",
        t("level_" + q.level),
      ].filter(Boolean);
      el("download-what").textContent = t("download_for", { what: what.join(", ") });
      el("download-gpkg").href = LGEO.url("/coverage/stats", Object.assign({ f: "gpkg" }, q));
      el("download-png").href = LGEO.url("/coverage/stats", Object.assign({ f: "png", lang: cfg.lang }, q));
      el("download-geojson").href = LGEO.url("/coverage/stats", Object.assign({ f: "geojson" }, q));
      el("download-csv").href = LGEO.url("/coverage/stats", Object.assign({ f: "csv" }, q));
      ["download-gpkg", "download-png", "download-geojson", "download-csv"].forEach(function (id) {
        el(id).setAttribute("download", ""); // the server's file name (Content-Disposition)
      });
    }

    /* 15, 30 and 60 minutes side by side: one request, one row per area, each cell in
     * its fixed class colour; a button puts that threshold on the map. */
    var compareSeq = 0;
    function compare() {
      var box = el("compare");
      if (!box || !el("sec-compare").open) return;
      var p = params();
      var mins = [15, 30, 60];
      var mine = ++compareSeq;
      box.innerHTML = '<p class="hint">' + LGEO.esc(t("loading")) + "</p>";
      LGEO.getJSON("/coverage/stats", { category: p.category, minutes: mins.join(","), level: p.level }).then(
        function (body) {
          if (mine !== compareSeq) return;
          var classes = cfg.classes.coverage;
          var head =
            '<tr><th scope="col">' + LGEO.esc(t("area")) + "</th>" +
            mins
              .map(function (m) {
                return '<th scope="col" class="num">' + m + " " + LGEO.esc(t("minutes_short")) + "</th>";
              })
              .join("") +
            "</tr>";
          var totals = body.totals || {};
          var rows = (body.areas || [])
            .map(function (a) {
              return (
                '<tr><th scope="row">' + LGEO.esc(a.name) + "</th>" +
                mins
                  .map(function (m) {
                    var v = a["percent_" + m + "min"];
                    var c = classOf(classes, v);
                    return (
                      '<td class="num cls" data-class="' + (c === null ? "none" : c) + '">' + LGEO.fmt(v, 1) + " %</td>"
                    );
                  })
                  .join("") +
                "</tr>"
              );
            })
            .join("");
          var total =
            '<tr class="total"><th scope="row">' + LGEO.esc(t("total") || "Total") + "</th>" +
            mins
              .map(function (m) {
                return '<td class="num">' + LGEO.fmt(totals["percent_" + m + "min"], 1) + " %</td>";
              })
              .join("") +
            "</tr>";
          box.innerHTML =
            '<table class="breakdown compare-table" id="compare-table"><caption>' +
            LGEO.esc(t("compare_title")) + " (" + LGEO.esc(t("profile_" + body.profile)) + ")</caption>" +
            head + rows + total + '</table><p class="buttons">' +
            mins
              .map(function (m) {
                return '<button type="button" class="secondary" data-minutes="' + m + '">' +
                  LGEO.esc(t("compare_show", { minutes: m })) + "</button>";
              })
              .join("") +
            "</p>";
          Array.prototype.forEach.call(box.querySelectorAll("td.cls"), function (td) {
            var c = td.getAttribute("data-class");
            td.style.background = c === "none" ? classes.noData : classes.colors[Number(c)];
            if (c === "0" || c === "1") td.style.color = "#fff";
          });
          Array.prototype.forEach.call(box.querySelectorAll("button[data-minutes]"), function (b) {
            b.addEventListener("click", function () {
              var m = b.getAttribute("data-minutes");
              var sel = el("threshold");
              if (!Array.prototype.some.call(sel.options, function (o) { return o.value === m; })) return;
              sel.value = m;
              load();
            });
          });
        },
        function (err) {
          if (mine !== compareSeq) return;
          box.innerHTML = '<p class="msg error" role="alert">' + LGEO.esc(problem(err)) + "</p>";
        }
      );
    }

    var loadSeq = 0;
    function load() {
      var p = params();
      var q = { category: p.category, minutes: p.threshold, level: p.level };
      var mine = ++loadSeq;
      LGEO.status(t("loading"));
      var request = cfg.endpoints.stats
        ? LGEO.getJSON("/coverage/stats", Object.assign({ f: "geojson" }, q))
        : LGEO.getJSON("/collections/admin_areas/items", { level: "kabupaten", limit: 1000 });
      var drawn = request
        .then(function (fc) {
          if (mine !== loadSeq) return null;
          LGEO.noteDemo(fc);
          return draw(fc, cfg.endpoints.stats).then(function () {
            if (cfg.endpoints.stats) setServerDownloads(q, fc);
            LGEO.status("");
            return fc;
          });
        })
        .catch(function (err) {
          if (mine !== loadSeq) return null;
          areas.clearLayers();
          LGEO.el("legend").innerHTML = "";
          LGEO.status(problem(err));
          return null;
        });
      ranking();
      compare();
      // siting after the map (it needs the travel mode the coverage was measured with)
      drawn.then(function () {
        if (mine === loadSeq) loadSites();
      });
    }

    el("planning-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      load();
    });
    // the map, the lists and the download links always show the form's choice
    ["category", "threshold", "level"].forEach(function (id) {
      el(id).addEventListener("change", load);
    });
    if (el("sites-form")) {
      el("sites-form").addEventListener("submit", function (ev) {
        ev.preventDefault();
        loadSites();
      });
      el("site-count").addEventListener("change", loadSites);
    }
    if (el("sec-compare")) el("sec-compare").addEventListener("toggle", compare);
    LGEO.planning = { load: load, current: function () { return current; } };
    load();
    // the "Laporan warga" layer (web/static/planning_reports.js, when the API has it)
    if (LGEO.planningReports) LGEO.planningReports(map, cfg, { coverage: areas });
  };
})();
