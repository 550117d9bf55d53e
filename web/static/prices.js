/* /peta/logistik, food prices (harga pangan): the alert list (a 7-day rise above the
 * server's threshold, from /prices/latest), a small line chart per commodity and place
 * (drawn here as inline SVG: no chart library) and the plan's margin block.
 *
 * The chart: the window ends at the series' newest figure and spans 30/90/365 days; a
 * day the panel published "-" (price_idr null) breaks the line (a new "M" in the path)
 * and is shaded; days with no row at all (weekends, holidays the panels skip) are
 * bridged. The caption gives min/max/last in Rupiah with their dates; pointing at the
 * chart (or the arrow keys on it) reads out each day. Attributes only, never style="":
 * the page's CSP allows no inline styles. */
(function () {
  "use strict";
  var LGEO = window.LGEO;
  var P = (LGEO.prices = {});
  var DAY = 86400000;
  var SVG_NS = "http://www.w3.org/2000/svg";
  var MONTHS = {
    id: ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"],
    en: ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
  };
  var HEIGHT = 190;
  var PAD = { left: 54, right: 12, top: 22, bottom: 24 };

  function lang() {
    return LGEO.cfg.lang === "en" ? "en" : "id";
  }

  function dayMs(iso) {
    return Date.parse(String(iso).slice(0, 10) + "T00:00:00Z");
  }

  function isoDay(ms) {
    return new Date(ms).toISOString().slice(0, 10);
  }

  /* "20 Nov 2026" (a price day is a calendar day: no time zone applies). */
  P.date = function (iso) {
    if (!iso) return "–";
    var d = new Date(dayMs(iso));
    return d.getUTCDate() + " " + MONTHS[lang()][d.getUTCMonth()] + " " + d.getUTCFullYear();
  };

  function tickDate(ms, withYear) {
    var d = new Date(ms);
    var m = MONTHS[lang()][d.getUTCMonth()];
    return withYear ? m + " " + d.getUTCFullYear() : d.getUTCDate() + " " + m;
  }

  P.rupiah = function (v) {
    return "Rp " + LGEO.fmt(v, 0);
  };

  P.pct = function (v) {
    return (v > 0 ? "+" : "") + LGEO.fmt(v, 1);
  };

  function placeKey(place) {
    return place.kind === "market" ? "m:" + place.market_id : "r:" + place.region_code;
  }

  function placeParams(place) {
    return place.kind === "market" ? { market: place.market_id } : { region: place.region_code };
  }

  /* ---- the chart ------------------------------------------------------------------ */
  function niceStep(span) {
    if (!(span > 0)) return 1;
    var p = Math.pow(10, Math.floor(Math.log10(span)));
    var n = span / p;
    return (n > 5 ? 10 : n > 2 ? 5 : n > 1 ? 2 : 1) * p;
  }

  /* Scales, path and statistics of one series (points oldest first). */
  P.layout = function (points, opts) {
    var width = Math.max(240, Math.round(opts.width || 320));
    var x0 = dayMs(opts.from);
    var x1 = x0;
    var values = [];
    var stats = { min: null, max: null, last: null, gaps: 0, count: 0 };
    points.forEach(function (p) {
      var ms = dayMs(p.date);
      if (ms > x1) x1 = ms;
      if (p.price_idr === null || p.price_idr === undefined) {
        stats.gaps += 1;
        return;
      }
      values.push(p.price_idr);
      stats.count += 1;
      if (!stats.min || p.price_idr < stats.min.price_idr) stats.min = p;
      if (!stats.max || p.price_idr > stats.max.price_idr) stats.max = p;
      stats.last = p;
    });
    if (opts.to && dayMs(opts.to) > x1) x1 = dayMs(opts.to);
    var lo = values.length ? Math.min.apply(null, values) : 0;
    var hi = values.length ? Math.max.apply(null, values) : 1;
    if (hi === lo) {
      lo = lo * 0.95;
      hi = hi * 1.05 || 1;
    }
    var step = niceStep((hi - lo) / 4);
    lo = Math.floor(lo / step) * step;
    hi = Math.ceil(hi / step) * step;
    var plotW = width - PAD.left - PAD.right;
    var plotH = HEIGHT - PAD.top - PAD.bottom;
    function x(ms) {
      return x1 > x0 ? PAD.left + ((ms - x0) / (x1 - x0)) * plotW : PAD.left + plotW / 2;
    }
    function y(v) {
      return PAD.top + (1 - (v - lo) / (hi - lo)) * plotH;
    }
    var yTicks = [];
    for (var v = lo; v <= hi + step / 2; v += step) yTicks.push(v);
    var span = (x1 - x0) / DAY;
    var xTicks = [];
    var nx = span < 1 ? 1 : 4;
    for (var i = 0; i < nx; i++) xTicks.push(nx === 1 ? x0 : x0 + Math.round(((x1 - x0) * i) / (nx - 1) / DAY) * DAY);
    // the line: a gap (null) ends a segment; the next figure starts a new one ("M")
    var d = [];
    var dots = [];
    var gaps = [];
    var pen = false;
    var prev = null; // the last figure drawn
    var gapStart = null;
    points.forEach(function (p, k) {
      var ms = dayMs(p.date);
      if (p.price_idr === null || p.price_idr === undefined) {
        if (pen) gapStart = prev ? x(dayMs(prev.date)) : x(ms);
        else if (gapStart === null) gapStart = prev ? x(dayMs(prev.date)) : x(ms);
        pen = false;
        return;
      }
      var px = x(ms).toFixed(1);
      var py = y(p.price_idr).toFixed(1);
      d.push((pen ? "L" : "M") + px + " " + py);
      if (gapStart !== null) {
        gaps.push([gapStart, x(ms)]);
        gapStart = null;
      }
      var before = points[k - 1];
      var after = points[k + 1];
      var lone = (!before || before.price_idr === null) && (!after || after.price_idr === null);
      if (lone) dots.push([px, py]);
      pen = true;
      prev = p;
    });
    if (gapStart !== null) gaps.push([gapStart, x(x1)]);
    return {
      width: width,
      height: HEIGHT,
      x: x,
      y: y,
      x0: x0,
      x1: x1,
      yTicks: yTicks,
      xTicks: xTicks,
      withYear: span > 120,
      path: d.join(" "),
      dots: dots,
      gaps: gaps,
      stats: stats,
    };
  };

  function svgHtml(L, unit, title) {
    var esc = LGEO.esc;
    var t = LGEO.t;
    var right = L.width - PAD.right;
    var bottom = L.height - PAD.bottom;
    var h =
      '<svg id="price-svg" class="price-svg" xmlns="' + SVG_NS + '" viewBox="0 0 ' + L.width + " " + L.height +
      '" width="100%" height="' + L.height + '" role="img" tabindex="0" aria-labelledby="price-svg-title price-caption">' +
      '<title id="price-svg-title">' + esc(title) + "</title>";
    L.gaps.forEach(function (g) {
      h +=
        '<rect class="px-gap" x="' + g[0].toFixed(1) + '" y="' + PAD.top + '" width="' + Math.max(1, g[1] - g[0]).toFixed(1) +
        '" height="' + (bottom - PAD.top) + '" fill="#d9d9d9" fill-opacity="0.55"></rect>';
    });
    h += '<g class="px-axis px-y" font-size="11" fill="#333">';
    L.yTicks.forEach(function (v) {
      var yy = L.y(v).toFixed(1);
      h +=
        '<line x1="' + PAD.left + '" x2="' + right + '" y1="' + yy + '" y2="' + yy + '" stroke="#ddd" stroke-width="1"></line>' +
        '<text x="' + (PAD.left - 4) + '" y="' + yy + '" dy="0.32em" text-anchor="end">' + esc(LGEO.fmt(v, 0)) + "</text>";
    });
    h += '<text x="2" y="11" text-anchor="start" font-weight="600">' + esc(t("price_axis", { unit: unit })) + "</text></g>";
    h +=
      '<g class="px-axis px-x" font-size="11" fill="#333"><line x1="' + PAD.left + '" x2="' + right + '" y1="' + bottom +
      '" y2="' + bottom + '" stroke="#767676" stroke-width="1"></line>';
    L.xTicks.forEach(function (ms, i) {
      var xx = L.x(ms).toFixed(1);
      var anchor = L.xTicks.length === 1 ? "middle" : i === 0 ? "start" : i === L.xTicks.length - 1 ? "end" : "middle";
      h +=
        '<line x1="' + xx + '" x2="' + xx + '" y1="' + bottom + '" y2="' + (bottom + 4) + '" stroke="#767676"></line>' +
        '<text x="' + xx + '" y="' + (bottom + 16) + '" text-anchor="' + anchor + '">' + esc(tickDate(ms, L.withYear)) + "</text>";
    });
    h += "</g>";
    h +=
      '<path class="px-line" d="' + L.path + '" fill="none" stroke="#0b4f8a" stroke-width="2" stroke-linejoin="round" ' +
      'stroke-linecap="round"></path>';
    L.dots.forEach(function (p) {
      h += '<circle class="px-dot" cx="' + p[0] + '" cy="' + p[1] + '" r="2.5" fill="#0b4f8a"></circle>';
    });
    var last = L.stats.last;
    if (last) {
      h +=
        '<circle class="px-last" cx="' + L.x(dayMs(last.date)).toFixed(1) + '" cy="' + L.y(last.price_idr).toFixed(1) +
        '" r="4.5" fill="#f2c300" stroke="#000" stroke-width="1.5"></circle>';
    }
    h +=
      '<g id="price-cursor" class="px-cursor" visibility="hidden"><line x1="0" x2="0" y1="' + PAD.top + '" y2="' + bottom +
      '" stroke="#8a1c00" stroke-dasharray="3 3"></line><circle r="4" cx="0" cy="0" fill="#8a1c00"></circle></g>' +
      '<rect class="px-hit" x="' + PAD.left + '" y="' + PAD.top + '" width="' + (right - PAD.left) + '" height="' +
      (bottom - PAD.top) + '" fill="transparent"></rect></svg>';
    return h;
  }

  /* ---- the panel ------------------------------------------------------------------ */
  P.panel = function (cfg) {
    var t = LGEO.t;
    var el = LGEO.el;
    var esc = LGEO.esc;
    if (!cfg.endpoints.prices || !el("price-form")) return null;
    var comSel = el("price-commodity");
    var placeSel = el("price-place");
    var periodSel = el("price-period");
    var chart = el("price-chart");
    var caption = el("price-caption");
    var tip = el("price-tip");
    var state = { names: {}, units: {}, byCommodity: {}, alertPct: null, seq: 0, series: null, view: null };

    function name(code) {
      return state.names[code] || code;
    }

    function entries(code) {
      return state.byCommodity[code] || [];
    }

    function current() {
      var list = entries(comSel.value);
      for (var i = 0; i < list.length; i++) if (placeKey(list[i].place) === placeSel.value) return list[i];
      return list[0] || null;
    }

    function alertsHtml(found) {
      var pct = LGEO.fmt(state.alertPct, 1);
      var rows = found.filter(function (p) {
        return p.alert;
      });
      var head = '<h3 id="price-alerts-title">' + esc(t("price_alerts_title", { pct: pct })) + "</h3>";
      if (!rows.length) return head + '<p id="price-alert-none" class="hint">' + esc(t("price_alerts_none", { pct: pct })) + "</p>";
      rows.sort(function (a, b) {
        return b.change_7d_pct - a.change_7d_pct;
      });
      return (
        head + '<ul id="price-alert-list" class="px-alerts" aria-labelledby="price-alerts-title">' +
        rows
          .map(function (p) {
            return (
              '<li data-commodity="' + esc(p.commodity) + '" data-place="' + esc(placeKey(p.place)) + '"><span class="px-alert-text">' +
              esc(
                t("price_alert_row", {
                  commodity: name(p.commodity),
                  place: p.place.name,
                  price: P.rupiah(p.price_idr),
                  date: P.date(p.date),
                  change: LGEO.fmt(p.change_7d_pct, 1),
                  before: P.rupiah(p.price_7d_idr),
                  before_date: P.date(p.date_7d),
                })
              ) +
              (p.demo ? ' <span class="badge">' + esc(t("price_demo")) + "</span>" : "") +
              '</span> <button type="button" class="secondary px-show">' + esc(t("price_alert_show")) + "</button></li>"
            );
          })
          .join("") +
        "</ul>"
      );
    }

    function option(value, text, alert) {
      var o = document.createElement("option");
      o.value = value;
      o.textContent = (alert ? "⚠ " : "") + text + (alert ? " (" + t("price_alert_mark", { pct: LGEO.fmt(state.alertPct, 1) }) + ")" : "");
      if (alert) {
        o.setAttribute("data-alert", "1");
        o.className = "px-alert";
      }
      return o;
    }

    function fillCommodities(keep) {
      var codes = Object.keys(state.byCommodity).sort(function (a, b) {
        return name(a).localeCompare(name(b));
      });
      comSel.innerHTML = "";
      codes.forEach(function (code) {
        comSel.appendChild(option(code, name(code), entries(code).some(function (p) { return p.alert; })));
      });
      var firstAlert = codes.filter(function (c) {
        return entries(c).some(function (p) { return p.alert; });
      })[0];
      comSel.value = keep && state.byCommodity[keep] ? keep : firstAlert || (state.byCommodity.beras ? "beras" : codes[0]);
      var marked = comSel.selectedOptions[0];
      comSel.classList.toggle("px-alert", !!(marked && marked.getAttribute("data-alert")));
    }

    function fillPlaces(keep) {
      var list = entries(comSel.value);
      placeSel.innerHTML = "";
      list.forEach(function (p) {
        placeSel.appendChild(option(placeKey(p.place), p.place.name, p.alert));
      });
      if (keep && list.some(function (p) { return placeKey(p.place) === keep; })) placeSel.value = keep;
      var field = placeSel.closest(".field");
      if (field) field.hidden = list.length < 2; // one place only: nothing to choose
      var marked = placeSel.selectedOptions[0];
      placeSel.classList.toggle("px-alert", !!(marked && marked.getAttribute("data-alert")));
      var c = comSel.selectedOptions[0];
      comSel.classList.toggle("px-alert", !!(c && c.getAttribute("data-alert")));
    }

    function showPoint(i) {
      var s = state.series;
      var L = state.view;
      if (!s || !L || !s.points.length) return;
      i = Math.max(0, Math.min(s.points.length - 1, i));
      state.index = i;
      var p = s.points[i];
      var cursor = el("price-cursor");
      var xx = L.x(dayMs(p.date)).toFixed(1);
      var line = cursor.querySelector("line");
      var dot = cursor.querySelector("circle");
      line.setAttribute("x1", xx);
      line.setAttribute("x2", xx);
      var gap = p.price_idr === null || p.price_idr === undefined;
      dot.setAttribute("visibility", gap ? "hidden" : "visible");
      if (!gap) {
        dot.setAttribute("cx", xx);
        dot.setAttribute("cy", L.y(p.price_idr).toFixed(1));
      }
      cursor.setAttribute("visibility", "visible");
      tip.textContent = gap
        ? t("price_tip_gap", { date: P.date(p.date) })
        : t("price_tip", { date: P.date(p.date), price: P.rupiah(p.price_idr) });
      tip.setAttribute("data-date", p.date);
    }

    function nearest(svg, clientX) {
      var L = state.view;
      var box = svg.getBoundingClientRect();
      if (!box.width) return;
      var xs = ((clientX - box.left) * L.width) / box.width;
      var best = 0;
      var bestD = Infinity;
      state.series.points.forEach(function (p, k) {
        var dd = Math.abs(L.x(dayMs(p.date)) - xs);
        if (dd < bestD) {
          bestD = dd;
          best = k;
        }
      });
      showPoint(best);
    }

    function render() {
      var s = state.series;
      var entry = current();
      if (!s || !entry) return;
      var days = Number(periodSel.value);
      var unit = s.unit || state.units[entry.commodity] || "kg";
      var placeName = entry.place.name;
      var L = P.layout(s.points, { from: s.from, to: entry.date, width: chart.clientWidth || 320 });
      state.view = L;
      chart.setAttribute("data-key", entry.commodity + "|" + placeKey(entry.place) + "|" + days);
      var title = t("price_chart_title", { commodity: name(entry.commodity), place: placeName, days: days });
      chart.innerHTML = svgHtml(L, unit, title);
      var st = L.stats;
      if (!st.last) {
        chart.innerHTML = "";
        caption.textContent = t("price_caption_empty", { commodity: name(entry.commodity), place: placeName, days: days });
        tip.textContent = "";
        return;
      }
      var perUnit = " " + t("per_unit", { unit: unit });
      caption.innerHTML =
        '<span class="px-last-line">' + esc(t("price_last")) + ': <strong id="price-last" data-value="' + st.last.price_idr +
        '" data-date="' + esc(st.last.date) + '">' + esc(P.rupiah(st.last.price_idr)) + "</strong>" + esc(perUnit) + " (" +
        esc(P.date(st.last.date)) + ")" + (entry.alert ? ' <span class="px-badge">⚠ ' + esc(P.pct(entry.change_7d_pct)) + " %</span>" : "") +
        (s.demo ? ' <span class="badge">' + esc(t("price_demo")) + "</span>" : "") + "</span> " +
        '<span id="price-summary">' +
        esc(
          t("price_caption", {
            commodity: name(entry.commodity),
            place: placeName,
            from: P.date(isoDay(L.x0)),
            to: P.date(isoDay(L.x1)),
            min: P.rupiah(st.min.price_idr),
            min_date: P.date(st.min.date),
            max: P.rupiah(st.max.price_idr),
            max_date: P.date(st.max.date),
            last: P.rupiah(st.last.price_idr),
            last_date: P.date(st.last.date),
          })
        ) +
        (st.gaps ? " " + esc(t("price_caption_gaps", { n: st.gaps })) : "") +
        "</span>";
      caption.setAttribute("data-gaps", String(st.gaps));
      tip.textContent = t("price_tip_hint");
      var svg = el("price-svg");
      svg.addEventListener("pointermove", function (ev) {
        nearest(svg, ev.clientX);
      });
      svg.addEventListener("pointerdown", function (ev) {
        nearest(svg, ev.clientX);
      });
      svg.addEventListener("keydown", function (ev) {
        var n = s.points.length;
        var i = state.index === undefined ? n - 1 : state.index;
        var step = { ArrowLeft: -1, ArrowRight: 1, PageUp: -7, PageDown: 7 }[ev.key];
        if (ev.key === "Home") i = 0;
        else if (ev.key === "End") i = n - 1;
        else if (step) i += step;
        else return;
        ev.preventDefault();
        showPoint(i);
      });
      svg.addEventListener("focus", function () {
        if (state.index === undefined) showPoint(s.points.length - 1);
      });
    }

    function load() {
      var entry = current();
      if (!entry) return;
      var days = Number(periodSel.value);
      var from = isoDay(dayMs(entry.date) - (days - 1) * DAY);
      var mine = ++state.seq;
      caption.textContent = t("prices_loading");
      var params = Object.assign({ commodity: entry.commodity, from: from, limit: 5000 }, placeParams(entry.place));
      return LGEO.getJSON("/prices", params).then(
        function (body) {
          if (mine !== state.seq) return;
          var s = (body.series || [])[0] || { points: [] };
          s.from = from;
          state.series = s;
          state.index = undefined;
          render();
        },
        function () {
          if (mine !== state.seq) return;
          caption.textContent = t("price_error");
        }
      );
    }

    comSel.addEventListener("change", function () {
      fillPlaces(null);
      load();
    });
    placeSel.addEventListener("change", function () {
      fillPlaces(placeSel.value);
      load();
    });
    periodSel.addEventListener("change", load);
    var width = chart.clientWidth;
    window.addEventListener("resize", function () {
      if (chart.clientWidth && chart.clientWidth !== width) {
        width = chart.clientWidth;
        render();
      }
    });
    // the section may start folded (or the panel hidden): draw once it is seen
    var sec = el("sec-prices");
    if (sec) {
      sec.addEventListener("toggle", function () {
        if (sec.open && chart.clientWidth !== width) {
          width = chart.clientWidth;
          render();
        }
      });
    }

    /* Show one commodity at one place (an alert's "show chart"). */
    function pick(code, key) {
      if (!state.byCommodity[code]) return null;
      comSel.value = code;
      fillPlaces(key);
      if (sec) sec.open = true;
      return load();
    }

    function refresh() {
      var keepCom = comSel.value;
      var keepPlace = placeSel.value;
      return Promise.all([LGEO.getJSON("/prices/commodities"), LGEO.getJSON("/prices/latest")]).then(
        function (r) {
          (r[0].commodities || []).forEach(function (c) {
            state.names[c.code] = lang() === "en" ? c.name_en : c.name_id;
            state.units[c.code] = c.unit;
          });
          state.alertPct = r[1].alert_pct;
          state.byCommodity = {};
          (r[1].prices || []).forEach(function (p) {
            (state.byCommodity[p.commodity] = state.byCommodity[p.commodity] || []).push(p);
          });
          Object.keys(state.byCommodity).forEach(function (code) {
            state.byCommodity[code].sort(function (a, b) {
              if (a.place.kind !== b.place.kind) return a.place.kind === "region" ? -1 : 1;
              return String(a.place.name).localeCompare(String(b.place.name));
            });
          });
          var box = el("price-alerts");
          box.innerHTML = alertsHtml(r[1].prices || []);
          Array.prototype.forEach.call(box.querySelectorAll("li[data-commodity]"), function (li) {
            li.querySelector("button.px-show").addEventListener("click", function () {
              pick(li.getAttribute("data-commodity"), li.getAttribute("data-place"));
              var fig = el("price-figure");
              if (fig.scrollIntoView) fig.scrollIntoView({ block: "nearest" });
            });
          });
          if (!Object.keys(state.byCommodity).length) {
            el("price-form").hidden = true;
            chart.innerHTML = "";
            caption.textContent = t("prices_none");
            return null;
          }
          el("price-form").hidden = false;
          fillCommodities(keepCom);
          fillPlaces(keepPlace);
          return load();
        },
        function () {
          caption.textContent = t("price_error");
        }
      );
    }

    refresh();
    return { refresh: refresh, pick: pick };
  };

  /* ---- the plan's margin ------------------------------------------------------------ */
  function priceRow(label, price, margin, id) {
    var t = LGEO.t;
    var esc = LGEO.esc;
    var where;
    if (price.basis === "given") where = t("margin_given");
    else {
      var age =
        price.age_days === 0
          ? t("margin_age_0", { date: P.date(price.date) })
          : t("margin_age", { date: P.date(price.date), days: LGEO.fmt(price.age_days, 0), as_of: P.date(margin.as_of) });
      where = (price.place ? price.place.name + ", " : "") + age;
    }
    return (
      '<tr id="' + id + '"' + (price.stale ? ' class="stale"' : "") + "><td>" + esc(label) + "<br><small>" + esc(where) +
      (price.stale ? ' <strong class="px-stale">' + esc(t("margin_stale")) + "</strong>" : "") +
      (price.demo ? ' <span class="badge">' + esc(t("price_demo")) + "</span>" : "") +
      (price.alert ? ' <span class="px-badge">⚠ ' + esc(P.pct(price.change_7d_pct)) + " %</span>" : "") +
      '</small></td><td class="num">' + esc(LGEO.fmt(price.idr_per_kg, 0)) + "</td></tr>"
    );
  }

  /* The margin block of a /logistics/plan answer (its properties.margin). */
  P.marginHtml = function (m) {
    if (!m) return "";
    var t = LGEO.t;
    var esc = LGEO.esc;
    var commodities = LGEO.cfg.commodities || {};
    if (!m.available) {
      var why = [];
      if (!m.price_commodity) why.push(t("margin_no_commodity", { commodity: commodities[m.commodity] || m.commodity }));
      else {
        if (!m.destination_price) why.push(t("margin_no_dest", { date: P.date(m.as_of) }));
        if (!m.origin_price) why.push(t("margin_no_origin", { date: P.date(m.as_of) }));
      }
      return '<p id="plan-margin" class="msg margin-none">' + esc(t("margin_unavailable", { why: why.join("; ") })) + "</p>";
    }
    var unit = m.unit || "kg";
    var kgTrip = LGEO.fmt(m.kg_per_trip, 0);
    function row(label, value, id, strong) {
      var cell = esc(LGEO.fmt(value, 0));
      return (
        "<tr" + (id ? ' id="' + id + '-row"' : "") + "><" + (strong ? "th" : "td") + ">" + esc(label) + "</" + (strong ? "th" : "td") +
        '><td class="num"' + (id ? ' id="' + id + '"' : "") + ">" + (strong ? "<strong>" + cell + "</strong>" : cell) + "</td></tr>"
      );
    }
    var html =
      '<table id="plan-margin" class="breakdown margin"><caption>' + esc(t("margin_title")) + "</caption><tr><th>" +
      esc(commodities[m.commodity] || m.commodity) + '</th><th class="num">Rp/' + esc(unit) + "</th></tr>" +
      priceRow(t("margin_price_dest"), m.destination_price, m, "margin-dest") +
      priceRow(t("margin_price_origin"), m.origin_price, m, "margin-origin") +
      row(t("margin_gap"), m.price_gap_idr_per_kg, "plan-margin-gap") +
      row("− " + t("margin_transport"), m.transport_idr_per_kg, "plan-margin-transport") +
      row(t("margin_per_kg", { unit: unit }), m.margin_idr_per_kg, "plan-margin-kg", true) +
      '</table><table class="breakdown margin"><tr><th></th><th class="num">Rp</th></tr>' +
      row(t("margin_per_trip", { kg: kgTrip }), m.margin_idr_per_trip, "plan-margin-trip", true) +
      row(t("margin_total"), m.margin_idr_total, "plan-margin-total") +
      "</table>";
    var notes = [];
    var observed = [m.destination_price, m.origin_price].some(function (p) {
      return p && p.basis === "observed";
    });
    if (observed) notes.push(t("margin_retail"));
    [m.destination_price, m.origin_price].forEach(function (p) {
      if (p && p.alert && p.place) notes.push(t("margin_alert", { place: p.place.name, change: P.pct(p.change_7d_pct) }));
    });
    if (unit !== "kg") notes.push(t("margin_unit_note", { unit: unit }));
    if (notes.length) {
      html +=
        '<ul id="plan-margin-notes" class="facts margin-notes">' +
        notes
          .map(function (n) {
            return "<li>" + esc(n) + "</li>";
          })
          .join("") +
        "</ul>";
    }
    return '<div id="plan-margin-block" class="margin-block">' + html + "</div>";
  };
})();
