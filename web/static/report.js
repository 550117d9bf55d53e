/* lampung-geo /lapor: the phone-first citizen report form.
 * A point from a map tap or "Gunakan lokasi saya" (geolocation), the open reports of
 * the same category nearby ("sama dengan laporan ..."), multipart POST /reports with
 * the optional photo; on success the tracking code and a link to /lapor/{code}.
 * Errors are written in the page's language, naming the field. */
(function () {
  "use strict";
  var LGEO = window.LGEO;
  LGEO.pages.report = function (map, cfg) {
    var RP = window.LGEO_RP;
    var el = LGEO.el;
    var t = LGEO.t;
    var form = el("report-form");
    var msg = el("report-msg");
    var point = null; // {lon, lat, source, accuracy}
    var marker = null;
    var similarSeq = 0;

    function counter() {
      var n = el("description").value.trim().length;
      el("counter").textContent = t("report_counter", { n: LGEO.fmt(n, 0), max: LGEO.fmt(cfg.textMax, 0) });
    }
    el("description").addEventListener("input", counter);

    function place(lat, lon, source, accuracy) {
      point = { lat: lat, lon: lon, source: source, accuracy: accuracy };
      var ll = [lat, lon];
      if (marker) marker.setLatLng(ll);
      else marker = L.marker(ll, { keyboard: false, title: t("report_place") }).addTo(map);
      var vars = { lat: lat.toFixed(5), lon: lon.toFixed(5), acc: LGEO.fmt(accuracy || 0, 0) };
      el("place").textContent = t(source === "gps" ? "report_place_gps" : "report_place_set", vars);
      similar();
    }

    map.on("click", function (e) {
      place(e.latlng.lat, e.latlng.lng, "map", null);
    });

    el("locate").addEventListener("click", function () {
      if (!navigator.geolocation) {
        RP.show(msg, t("report_locate_failed"), "error");
        return;
      }
      el("place").textContent = t("report_locating");
      navigator.geolocation.getCurrentPosition(
        function (pos) {
          place(pos.coords.latitude, pos.coords.longitude, "gps", pos.coords.accuracy);
          map.setView([pos.coords.latitude, pos.coords.longitude], 16);
        },
        function () {
          el("place").textContent = t("report_place_none");
          RP.show(msg, t("report_locate_failed"), "error");
        },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
      );
    });

    /* Open reports of this category within 50 m of the last 7 days. */
    function similar() {
      var box = el("similar");
      if (!point) return;
      var mine = ++similarSeq;
      RP.request("GET", "/reports/similar", {
        params: { category: el("category").value, lon: point.lon.toFixed(6), lat: point.lat.toFixed(6) },
      }).then(
        function (data) {
          if (mine !== similarSeq) return;
          var found = data.reports || [];
          if (!found.length) {
            box.hidden = true;
            box.innerHTML = "";
            return;
          }
          box.innerHTML =
            "<p>" + LGEO.esc(t("report_similar")) + "</p><ul>" +
            found
              .map(function (r) {
                return (
                  '<li data-id="' + LGEO.esc(r.id) + '"><strong>#' + LGEO.esc(r.id) + "</strong> " +
                  LGEO.esc(
                    t("report_similar_item", {
                      category: cfg.categories[r.category] || r.category,
                      status: cfg.statuses[r.status] || r.status,
                      distance: LGEO.fmtDistance(r.distance_m),
                      when: RP.wib(r.submitted_at),
                    })
                  ) +
                  "</li>"
                );
              })
              .join("") +
            "</ul>";
          box.hidden = false;
        },
        function () {
          box.hidden = true; // a hint only: the report can be sent anyway
        }
      );
    }
    el("category").addEventListener("change", similar);

    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      RP.show(msg, "", "");
      var text = el("description").value;
      if (text.trim().length < cfg.textMin || text.length > cfg.textMax) {
        RP.show(msg, t("err_field_description"), "error");
        el("description").focus();
        return;
      }
      if (!point) {
        RP.show(msg, t("err_no_place"), "error");
        el("locate").focus();
        return;
      }
      var file = el("photo").files && el("photo").files[0];
      if (file && file.size > cfg.photoMaxBytes) {
        RP.show(msg, t("err_field_photo_size"), "error");
        el("photo").focus();
        return;
      }
      var data = new FormData();
      data.append("category", el("category").value);
      data.append("description", text);
      data.append("lon", point.lon.toFixed(6));
      data.append("lat", point.lat.toFixed(6));
      data.append("location_source", point.source);
      if (point.source === "gps" && point.accuracy !== null && point.accuracy !== undefined) {
        data.append("accuracy_m", String(Math.min(100000, Math.round(point.accuracy))));
      }
      if (el("phone").value.trim()) data.append("phone", el("phone").value.trim());
      if (el("email").value.trim()) data.append("email", el("email").value.trim());
      if (file) data.append("photo", file, file.name || "photo");
      var send = el("send");
      send.disabled = true;
      send.textContent = t("report_sending");
      RP.request("POST", "/reports", { body: data, headers: { Accept: "application/json" } })
        .then(
          function (made) {
            form.hidden = true;
            el("code").textContent = made.code;
            var link = "/lapor/" + encodeURIComponent(made.code) + "?lang=" + cfg.lang;
            el("follow").setAttribute("href", link);
            el("routed").textContent = made.agency && made.agency.name ? t("report_routed", { agency: made.agency.name }) : "";
            el("receipt").hidden = false;
            el("receipt").focus();
          },
          function (err) {
            RP.show(msg, RP.message(err, err.retryAfter), "error");
            var field = ((err.body || {}).field || "").split(".")[0];
            if (field && el(field)) el(field).focus();
          }
        )
        .then(function () {
          send.disabled = false;
          send.textContent = t("report_send");
        });
    });
    counter();
  };
})();
