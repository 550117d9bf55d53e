/* lampung-geo /lapor/{code}: a report's status, category, area, timeline with public
 * notes (WIB), SLA flag, its rounded location on the map, and the rating (1-5, once,
 * after Selesai). Reads GET /reports/{code}; rates with POST /reports/{code}/rating. */
(function () {
  "use strict";
  var LGEO = window.LGEO;

  LGEO.pages.report_status = function (map, cfg) {
    var RP = window.LGEO_RP;
    var el = LGEO.el;
    var t = LGEO.t;
    var msg = el("report-msg");
    var marker = null;
    var path = "/reports/" + encodeURIComponent(cfg.code);

    function label(r) {
      return cfg.lang === "id" ? r.status_label : r.status_label_en || r.status_label;
    }

    function statusLabel(code, fallback) {
      return (cfg.statuses && cfg.statuses[code]) || fallback || code;
    }

    function show(r) {
      el("status-now").textContent = statusLabel(r.status, label(r));
      el("status-now").setAttribute("data-status", r.status);
      el("category").textContent = cfg.lang === "id" ? r.category_name : r.category_name_en || r.category_name;
      el("area").textContent = [r.desa, r.kecamatan, r.kabupaten].filter(Boolean).join(", ") || "–";
      el("submitted").textContent = RP.wib(r.submitted_at);
      el("agency").textContent = [r.agency && r.agency.name, r.office].filter(Boolean).join(" — ") || "–";
      var sla = r.sla || {};
      var late = [];
      if (sla.overdue_response) late.push(t("status_sla_late_response", { hours: LGEO.fmt(sla.response_hours, 0) }));
      if (sla.overdue_resolution) late.push(t("status_sla_late_resolution", { hours: LGEO.fmt(sla.resolution_hours, 0) }));
      el("sla").textContent = late.length ? late.join(". ") : t("status_sla_ok");
      el("sla").className = "rp-sla" + (late.length ? " late" : "");
      el("description").textContent = r.description || "";
      if (r.merged_into) {
        el("merged").textContent = t("status_merged", { status: statusLabel(r.merged_into.status, r.merged_into.status_label) });
        el("merged").hidden = false;
      }
      if (r.photo) {
        el("photo-box").innerHTML =
          '<a href="' + LGEO.esc(LGEO.cfg.api + r.photo.url) + '"><img class="rp-photo" alt="' +
          LGEO.esc(t("status_photo")) + '" src="' + LGEO.esc(LGEO.cfg.api + r.photo.thumbnail_url) + '"></a>';
        el("photo-box").hidden = false;
      }
      var events = r.timeline || [];
      el("timeline").innerHTML = events
        .map(function (e) {
          var name = e.status ? statusLabel(e.status, e.status_label) : "";
          return (
            '<li data-status="' + LGEO.esc(e.status || "") + '"><span class="when">' + LGEO.esc(RP.wib(e.at)) +
            '</span> <strong class="what">' + LGEO.esc(name) + "</strong>" +
            (e.note ? '<span class="note-text">' + LGEO.esc(e.note) + "</span>" : "") + "</li>"
          );
        })
        .join("");
      if (r.location && r.location.lat !== null && r.location.lat !== undefined) {
        var ll = [r.location.lat, r.location.lon];
        if (marker) marker.setLatLng(ll);
        else marker = L.circleMarker(ll, { radius: 10, color: "#b03a2e", weight: 3 }).addTo(map);
        map.setView(ll, 15, { animate: false });
      }
      el("rating-form").hidden = !r.can_rate;
      if (r.rating) {
        el("rated").textContent = t("status_rated", { stars: r.rating.stars });
        el("rated").hidden = false;
      }
      if (r.demo) LGEO.showDemo();
    }

    function load() {
      return RP.request("GET", path, { headers: { Accept: "application/json" } }).then(show, function (err) {
        RP.show(msg, RP.message(err), "error");
      });
    }

    el("rating-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var body = { stars: Number(el("stars").value) };
      var comment = el("comment").value.trim();
      if (comment) body.comment = comment;
      RP.request("POST", path + "/rating", {
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(body),
      }).then(
        function () {
          RP.show(msg, "", "");
          return load();
        },
        function (err) {
          RP.show(msg, RP.message(err), "error");
        }
      );
    });
    load();
  };
})();
