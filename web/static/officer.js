/* lampung-geo /peta/laporan: the officers' queue of citizen reports.
 * Sign in with an API key (kept in sessionStorage for this tab only, sent as the
 * X-API-Key header, never in a URL); list and map the reports the key covers,
 * filtered by status, category, area (kabupaten, then one of its kecamatan) and
 * overdue; select one and move it to one of its allowed next statuses (from
 * /reports/categories) with a public note, or merge it into another open report as
 * its duplicate (a confirmation first; the list refreshes after). */
(function () {
  "use strict";
  var LGEO = window.LGEO;
  var KEY_STORE = "lgeo.apiKey";

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

  LGEO.pages.officer = function (map, cfg) {
    var RP = window.LGEO_RP;
    var el = LGEO.el;
    var t = LGEO.t;
    var msg = el("queue-msg");
    var state = { key: "", next: {}, selected: null, seq: 0 };
    var markers = L.layerGroup().addTo(map);

    function label(code) {
      return cfg.statuses[code] || code;
    }

    function keyed(method, path, init) {
      init = init || {};
      init.headers = Object.assign({ Accept: "application/json", "X-API-Key": state.key }, init.headers || {});
      return RP.request(method, path, init);
    }

    function failed(err) {
      RP.show(msg, RP.message(err), "error");
      if (err.status === 401) signOut();
    }

    function signedIn(info) {
      el("who").textContent = (info.name || info.prefix) + " (" + info.role + ")";
      el("signed-out").hidden = true;
      el("signed-in").hidden = false;
    }

    function signOut() {
      state.key = "";
      storeKey("");
      state.selected = null;
      el("signed-in").hidden = true;
      el("signed-out").hidden = false;
      el("queue").innerHTML = "";
      el("queue-count").textContent = "";
      el("detail").hidden = true;
      markers.clearLayers();
      applyScope(null);
    }

    function signIn(key, quiet) {
      state.key = key;
      return keyed("GET", "/logistics/key").then(
        function (info) {
          storeKey(key);
          signedIn(info);
          RP.show(msg, "", "");
          return list();
        },
        function (err) {
          if (quiet && err.status === 401) {
            signOut();
            return;
          }
          failed(err);
        }
      );
    }

    function overdue(p) {
      return p.sla && (p.sla.overdue_response || p.sla.overdue_resolution);
    }

    function list() {
      if (!state.key) return Promise.resolve();
      var params = { limit: 200 };
      var status = el("status-filter").value;
      var qs = new URLSearchParams();
      if (status === "open") cfg.openStatuses.forEach(function (s) { qs.append("status", s); });
      else if (status) qs.append("status", status);
      if (el("category").value) qs.set("category", el("category").value);
      if (el("overdue").value) qs.set("overdue", el("overdue").value);
      if (el("kabupaten") && el("kabupaten").value) qs.set("kabupaten", el("kabupaten").value);
      if (el("kecamatan") && el("kecamatan").value) qs.set("kecamatan_id", el("kecamatan").value);
      qs.set("limit", String(params.limit));
      var mine = ++state.seq;
      return keyed("GET", "/officer/reports?" + qs.toString()).then(function (fc) {
        if (mine !== state.seq) return;
        applyScope(fc.scope);
        var feats = fc.features || [];
        el("queue-count").textContent = "(" + t("officer_count", { n: LGEO.fmt(fc.numberMatched, 0) }) + ")";
        markers.clearLayers();
        el("queue").innerHTML = feats.length
          ? feats
              .map(function (f) {
                var p = f.properties;
                return (
                  '<li data-id="' + f.id + '" data-status="' + LGEO.esc(p.status) + '"><button type="button" data-id="' + f.id + '"' +
                  (state.selected === f.id ? ' aria-current="true"' : "") + '><span class="name">#' + f.id + " · " +
                  LGEO.esc(cfg.categories[p.category] || p.category) + " · " + LGEO.esc(label(p.status)) +
                  (overdue(p) ? ' <span class="late">' + LGEO.esc(t("officer_overdue_flag")) + "</span>" : "") +
                  '</span><span class="meta">' + LGEO.esc([p.kecamatan, p.kabupaten].filter(Boolean).join(", ")) + " · " +
                  LGEO.esc(RP.wib(p.submitted_at)) + "</span></button></li>"
                );
              })
              .join("")
          : '<li class="empty">' + LGEO.esc(t("officer_none")) + "</li>";
        feats.forEach(function (f) {
          var c = f.geometry.coordinates;
          var m = L.circleMarker([c[1], c[0]], {
            radius: 8,
            color: overdue(f.properties) ? "#b03a2e" : "#1f5fa8",
            weight: 3,
            pane: "points",
          });
          m.on("click", function () {
            select(f.id);
          });
          m.addTo(markers);
        });
        LGEO.noteDemo(fc);
        Array.prototype.forEach.call(el("queue").querySelectorAll("button[data-id]"), function (b) {
          b.addEventListener("click", function () {
            select(Number(b.getAttribute("data-id")));
          });
        });
      }, failed);
    }

    function select(id) {
      state.selected = id;
      return keyed("GET", "/officer/reports/" + id).then(function (r) {
        var allNext = state.next[r.status] || [];
        var canMerge = allNext.indexOf("duplikat") >= 0;
        var next = allNext.filter(function (s) {
          return s !== "duplikat"; // merged with the merge box below, after a confirmation
        });
        var events = (r.timeline || [])
          .map(function (e) {
            return (
              "<li><span class=\"when\">" + LGEO.esc(RP.wib(e.at)) + "</span> <strong>" + LGEO.esc(label(e.status)) +
              "</strong>" + (e.note ? '<span class="note-text">' + LGEO.esc(e.note) + "</span>" : "") + "</li>"
            );
          })
          .join("");
        var contacts = (r.contacts || [])
          .map(function (c) {
            return "<li>" + LGEO.esc([c.phone, c.email].filter(Boolean).join(", ")) + "</li>";
          })
          .join("");
        var form = next.length
          ? '<form id="step-form" class="form"><h3>' + LGEO.esc(t("officer_move")) + "</h3>" +
            '<div class="field"><label for="next-status">' + LGEO.esc(t("officer_next")) + '</label><select id="next-status">' +
            next.map(function (s) {
              return '<option value="' + LGEO.esc(s) + '">' + LGEO.esc(label(s)) + "</option>";
            }).join("") + "</select></div>" +
            '<div class="field"><label for="step-note">' + LGEO.esc(t("officer_note")) +
            '</label><textarea id="step-note" rows="3" maxlength="2000"></textarea></div>' +
            '<div class="buttons"><button type="submit" id="step-save">' + LGEO.esc(t("officer_save")) + "</button></div></form>"
          : '<p class="note">' + LGEO.esc(t("officer_final")) + "</p>";
        var det = el("detail");
        det.innerHTML =
          "<h3>#" + r.id + " · " + LGEO.esc(cfg.categories[r.category] || r.category) + '</h3><p>' +
          LGEO.esc(t("officer_status")) + ': <strong id="detail-status">' + LGEO.esc(label(r.status)) + "</strong>" +
          (overdue(r) ? ' <span class="late">' + LGEO.esc(t("officer_overdue_flag")) + "</span>" : "") + "</p>" +
          '<p class="rp-text">' + LGEO.esc(r.description) + "</p><p class=\"meta\">" +
          LGEO.esc([r.desa, r.kecamatan, r.kabupaten].filter(Boolean).join(", ")) + " · " +
          LGEO.esc([r.agency && r.agency.name, r.office].filter(Boolean).join(" — ")) + "</p>" +
          (contacts ? "<h4>" + LGEO.esc(t("officer_contacts")) + "</h4><ul>" + contacts + "</ul>" : "") +
          '<ol class="rp-timeline">' + events + "</ol>" + form + (canMerge ? mergeBox(r) : "");
        det.hidden = false;
        if (r.location) map.setView([r.location.lat, r.location.lon], Math.max(map.getZoom(), 14), { animate: false });
        var stepForm = el("step-form");
        if (stepForm) {
          stepForm.addEventListener("submit", function (ev) {
            ev.preventDefault();
            var to = el("next-status").value;
            var body = { status: to };
            var note = el("step-note").value.trim();
            if (note) body.note = note;
            if (to === "ditolak" && !note) {
              RP.show(msg, t("err_note_required"), "error");
              el("step-note").focus();
              return;
            }
            el("step-save").disabled = true;
            keyed("POST", "/officer/reports/" + r.id + "/events", {
              headers: { "Content-Type": "application/json" },
              body: JSON.stringify(body),
            }).then(
              function () {
                RP.show(msg, t("officer_saved", { status: label(to) }), "ok");
                list();
                select(r.id);
              },
              function (err) {
                el("step-save").disabled = false;
                failed(err);
                if (err.status === 409) select(r.id);
              }
            );
          });
        }
        if (canMerge) wireMerge(r);
      }, failed);
    }

    /* Merge as a duplicate: the original's number, a confirmation, then the step. */
    function mergeBox(r) {
      return (
        '<section id="merge-box" class="rp-merge" aria-labelledby="merge-title"><h3 id="merge-title">' +
        LGEO.esc(t("officer_merge")) + '</h3><p class="hint">' + LGEO.esc(t("officer_merge_hint")) + "</p>" +
        '<div class="field"><label for="merge-target">' + LGEO.esc(t("officer_merge_target")) +
        '</label><input id="merge-target" type="number" min="1" step="1" inputmode="numeric"></div>' +
        '<div id="merge-nearby" hidden><p class="hint">' + LGEO.esc(t("officer_merge_nearby")) +
        '</p><ul class="rp-nearby"></ul></div>' +
        '<div class="buttons"><button type="button" id="merge-check" class="secondary">' +
        LGEO.esc(t("officer_merge_check")) + "</button></div>" +
        '<p id="merge-msg" class="msg" role="alert" hidden></p>' +
        '<div id="merge-confirm" class="rp-confirm" role="alertdialog" aria-labelledby="merge-question" hidden>' +
        '<p id="merge-question"></p><div class="buttons"><button type="button" id="merge-yes">' +
        LGEO.esc(t("officer_merge_yes")) + '</button> <button type="button" id="merge-no" class="secondary">' +
        LGEO.esc(t("officer_merge_no")) + "</button></div></div></section>"
      );
    }

    function mergeError(err, target) {
      if (err.status === 401) return failed(err); // signed out, said at the top
      var text;
      if (err.status === 403) text = t("err_403_merge");
      else if (err.status === 409) text = t("err_409_merge");
      else text = RP.message(err);
      RP.show(el("merge-msg"), text, "error");
      if (err.status === 409) list();
      return target;
    }

    /* Candidates for the original: open reports of the same category within 50 m of
       this one's exact point, from the last 7 days (the public /reports/similar, the
       list a citizen is shown before sending); a tap fills the number in. */
    function suggestOriginals(r) {
      if (!r.location) return;
      RP.request("GET", "/reports/similar", {
        params: { category: r.category, lon: r.location.lon, lat: r.location.lat },
        headers: { Accept: "application/json" },
      }).then(
        function (data) {
          if (state.selected !== r.id || !el("merge-nearby")) return;
          var others = (data.reports || []).filter(function (x) {
            return x.id !== r.id;
          });
          var list = el("merge-nearby").querySelector("ul");
          list.innerHTML = others
            .map(function (x) {
              return (
                '<li><button type="button" data-id="' + x.id + '">' +
                LGEO.esc(t("officer_merge_nearby_item", { id: x.id, m: LGEO.fmt(x.distance_m, 0), status: label(x.status) })) +
                "</button></li>"
              );
            })
            .join("");
          el("merge-nearby").hidden = !others.length;
          Array.prototype.forEach.call(list.querySelectorAll("button"), function (b) {
            b.addEventListener("click", function () {
              el("merge-target").value = b.getAttribute("data-id");
              el("merge-check").focus();
            });
          });
        },
        function () {} // only a help: the number can still be typed
      );
    }

    function wireMerge(r) {
      var box = el("merge-confirm");
      var mmsg = el("merge-msg");
      var target = null;
      suggestOriginals(r);
      el("merge-check").addEventListener("click", function () {
        var raw = el("merge-target").value.trim();
        target = Number(raw);
        RP.show(mmsg, "", "");
        if (!raw || !(target >= 1) || Math.floor(target) !== target) {
          RP.show(mmsg, t("officer_merge_target_missing"), "error");
          el("merge-target").focus();
          return;
        }
        if (target === r.id) {
          RP.show(mmsg, t("officer_merge_self"), "error");
          el("merge-target").focus();
          return;
        }
        el("merge-question").textContent = t("officer_merge_confirm", { id: r.id, target: target });
        box.hidden = false;
        el("merge-yes").focus();
      });
      el("merge-no").addEventListener("click", function () {
        box.hidden = true;
        el("merge-check").focus();
      });
      el("merge-yes").addEventListener("click", function () {
        el("merge-yes").disabled = true;
        keyed("POST", "/officer/reports/" + r.id + "/events", {
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ status: "duplikat", duplicate_of: target }),
        }).then(
          function () {
            RP.show(msg, t("officer_merged", { id: r.id, target: target }), "ok");
            list();
            select(r.id);
          },
          function (err) {
            el("merge-yes").disabled = false;
            box.hidden = true;
            mergeError(err, target);
          }
        );
      });
    }

    /* Only the kabupaten the key covers can be chosen (the API's ``scope``: a BPS code
       prefix); ``null`` (signed out, or a key for everywhere) shows them all again. */
    function applyScope(scope) {
      var sel = el("kabupaten");
      if (!sel) return;
      var area = (scope && scope.area_code) || "";
      Array.prototype.forEach.call(sel.options, function (o) {
        var out = Boolean(o.value && area && o.value.indexOf(area) !== 0);
        o.hidden = out;
        o.disabled = out;
      });
      if (sel.selectedOptions.length && sel.selectedOptions[0].disabled) {
        sel.value = "";
        fillKecamatan();
      }
    }

    /* The kecamatan of the chosen kabupaten (from the page's config); none: all. */
    function fillKecamatan() {
      var sel = el("kecamatan");
      if (!sel) return;
      var kab = el("kabupaten").value;
      var opts = (cfg.kecamatan || []).filter(function (k) {
        return k[2] === kab;
      });
      sel.innerHTML =
        '<option value="">' + LGEO.esc(t("officer_all_kecamatan")) + "</option>" +
        opts
          .map(function (k) {
            return '<option value="' + k[0] + '">' + LGEO.esc(k[1]) + "</option>";
          })
          .join("");
      sel.disabled = !kab;
    }

    el("signin-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var key = el("api-key").value.trim();
      if (key) signIn(key, false);
    });
    el("signout").addEventListener("click", function () {
      signOut();
      el("api-key").focus();
    });
    if (el("kabupaten")) {
      fillKecamatan();
      el("kabupaten").addEventListener("change", fillKecamatan);
    }
    ["status-filter", "category", "overdue", "kabupaten", "kecamatan"].forEach(function (id) {
      if (!el(id)) return;
      el(id).addEventListener("change", function () {
        if (state.key) list();
      });
    });

    RP.request("GET", "/reports/categories", { headers: { Accept: "application/json" } }).then(
      function (data) {
        (data.statuses || []).forEach(function (s) {
          state.next[s.code] = s.next || [];
        });
      },
      failed
    );
    var saved = storedKey();
    if (saved) signIn(saved, true);
  };
})();
