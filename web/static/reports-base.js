/* lampung-geo report pages (/lapor, /lapor/{code}, /peta/laporan): shared helpers
 * (WIB times, API requests with their status and Retry-After, error texts naming the
 * field). Loaded from the panel before DOMContentLoaded, used when the page boots. */
(function () {
  "use strict";
  var LGEO = window.LGEO;
  var RP = (window.LGEO_RP = window.LGEO_RP || {});

  /* Times as WIB (Asia/Jakarta, UTC+7): "30 Nov 2026 12.54 WIB" / "12:54". */
  RP.wib = function (iso) {
    if (!iso) return "–";
    var d = new Date(iso);
    if (isNaN(d.getTime())) return "–";
    var w = new Date(d.getTime() + 7 * 3600 * 1000);
    var id = LGEO.cfg.lang === "id";
    var months = id
      ? ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"]
      : ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    var pad = function (n) {
      return (n < 10 ? "0" : "") + n;
    };
    return (
      w.getUTCDate() + " " + months[w.getUTCMonth()] + " " + w.getUTCFullYear() + " " +
      pad(w.getUTCHours()) + (id ? "." : ":") + pad(w.getUTCMinutes()) + " WIB"
    );
  };

  /* An API error of the report pages, in the page's language, naming the field. */
  RP.message = function (err, retryAfter) {
    var t = LGEO.t;
    var body = (err && err.body) || {};
    var s = err && err.status;
    var field = body.field || "";
    if (!s || err.code === "Network") return t("err_network");
    if (s === 413) return t("err_field_photo_size");
    if (s === 415) return t("err_field_photo_type");
    if (s === 429) return t("err_rate", { minutes: Math.max(1, Math.ceil((Number(retryAfter) || 60) / 60)) });
    if (s === 401) return t("err_401_report");
    if (s === 403) return t("err_403_report");
    if (s === 404) return t("err_not_found");
    if (s === 409) return t("err_409_report");
    if (s === 400 || s === 422) {
      var key = "err_field_" + field.split(".")[0];
      if (LGEO.cfg.texts[key]) return t(key);
      return t("err_field_generic", { field: field || "?" });
    }
    return t("err_generic", { status: s });
  };

  /* fetch with JSON answers; errors carry status, body and Retry-After. */
  RP.request = function (method, path, init) {
    init = Object.assign({ method: method }, init || {});
    var p = fetch(LGEO.url(path, init.params || {}), init).then(
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
              err.retryAfter = r.headers.get("Retry-After");
              throw err;
            }
            return body;
          });
      },
      function () {
        var err = new Error("network");
        err.status = 0;
        err.code = "Network";
        throw err;
      }
    );
    return LGEO.track(p);
  };

  RP.show = function (node, text, kind) {
    node.textContent = text || "";
    node.hidden = !text;
    node.className = "msg" + (kind ? " " + kind : "");
  };

})();
