/* /peta/perencanaan: coverage choropleth (fixed classes, see web/classify.py), the
 * underserved ranking, proposed new sites and downloads of the same data as GeoJSON and
 * CSV. */
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
        areas.options.style = function (f) {
          var c = f.properties["class"];
          return {
            color: "#222",
            weight: 1.2,
            fillColor: c === null || c === undefined ? classes.noData : classes.colors[c],
            fillOpacity: 0.75,
            className: "lgeo-area",
          };
        };
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
          list.innerHTML = (body.areas || [])
            .map(function (a) {
              return (
                '<li data-name="' + LGEO.esc(a.name) + '"><span class="name">' + LGEO.esc(a.name) +
                '</span><span class="meta">' + LGEO.fmt(a[pkey], 1) + " % · " + LGEO.esc(t("uncovered")) + " " +
                LGEO.fmt(a[key], 0) + "</span></li>"
              );
            })
            .join("");
        },
        function (err) {
          LGEO.status(t("error") + ": " + err.message);
        }
      );
    }

    function loadSites() {
      sites.clearLayers();
      el("sites").innerHTML = "";
      if (!cfg.endpoints.sites) return;
      var p = params();
      LGEO.postJSON("/plan/sites", { category: p.category, count: 5, minutes: Number(p.threshold) }).then(
        function (data) {
          var feats = data.features || [];
          L.geoJSON(feats, {
            pointToLayer: function (f, latlng) {
              return L.circleMarker(latlng, {
                pane: "results",
                radius: 9,
                color: "#000",
                weight: 2,
                fillColor: "#e7298a",
                fillOpacity: 1,
                className: "lgeo-site",
              });
            },
            onEachFeature: function (f, layer) {
              var q = f.properties;
              layer.bindPopup(
                "<h3>" + LGEO.esc(t("sites")) + " " + LGEO.esc(q.rank) + "</h3><p>+" +
                  LGEO.fmt(q.newly_covered_population, 0) + " " + LGEO.esc(t("people")) + "</p>"
              );
            },
          }).addTo(sites);
          el("sites").innerHTML = feats.length
            ? feats
                .map(function (f) {
                  var q = f.properties;
                  var c = f.geometry.coordinates;
                  return (
                    '<li><span class="name">' + c[1].toFixed(4) + ", " + c[0].toFixed(4) + '</span><span class="meta">+' +
                    LGEO.fmt(q.newly_covered_population, 0) + " " + LGEO.esc(t("people")) + "</span></li>"
                  );
                })
                .join("")
            : '<li class="empty">' + LGEO.esc(t("sites_none")) + "</li>";
          LGEO.noteDemo(data);
        },
        function (err) {
          LGEO.status(t("error") + ": " + err.message);
        }
      );
    }

    function load() {
      var p = params();
      var q = { category: p.category, minutes: p.threshold, level: p.level };
      LGEO.status(t("loading"));
      var request = cfg.endpoints.stats
        ? LGEO.getJSON("/coverage/stats", Object.assign({ f: "geojson" }, q))
        : LGEO.getJSON("/collections/admin_areas/items", { level: "kabupaten", limit: 1000 });
      request
        .then(function (fc) {
          LGEO.noteDemo(fc);
          return draw(fc, cfg.endpoints.stats).then(function () {
            if (cfg.endpoints.stats) {
              // The server's own files: the same rows as the map, as GeoJSON and CSV.
              LGEO.el("download-geojson").href = LGEO.url("/coverage/stats", Object.assign({ f: "geojson" }, q));
              LGEO.el("download-csv").href = LGEO.url("/coverage/stats", Object.assign({ f: "csv" }, q));
            }
            LGEO.status("");
          });
        })
        .catch(function (err) {
          areas.clearLayers();
          LGEO.el("legend").innerHTML = "";
          LGEO.status(t("error") + ": " + err.message);
        });
      ranking();
      loadSites();
    }

    el("planning-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      load();
    });
    LGEO.planning = { load: load, current: function () { return current; } };
    load();
  };
})();
