/* Incident layer for the Folium map (see layers/incidents.py). Every text value from data goes
   through esc() before it reaches HTML; links are made only for http(s) URLs. */
window.incidentLayer = function(fg, map, data, options) {
    var DAY = 86400000;
    // Compact payloads (many incidents, layers/incidents.py compact_payload) carry typed arrays
    // as base64 and text as dictionaries; decode them into the same columns as full payloads.
    function ints(col) {
        var bin = atob(col.data), bytes = new Uint8Array(bin.length);
        for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
        var typed = new window[col.int + "Array"](bytes.buffer);
        var out = new Array(typed.length);
        for (var j = 0; j < typed.length; j++) { out[j] = typed[j] + col.offset; }
        return out;
    }
    function decode(col) {
        if (Array.isArray(col)) { return col; }
        if (col.int) { return ints(col); }
        if (col.dict) { return ints(col.codes).map(function(k) { return col.dict[k]; }); }
        return ints(col.numbers).map(function(k) {
            var s = String(k);
            while (s.length < col.width) { s = "0" + s; }
            return col.prefix + s;
        });
    }
    function day(t) { return new Date(t * DAY).toISOString().slice(0, 10); }
    var c = data.columns;
    if (data.compact) {
        var raw = c;
        c = {};
        Object.keys(raw).forEach(function(k) { c[k] = decode(raw[k]); });
        c.lat = c.lat.map(function(v) { return v / 1e5; });
        c.lon = c.lon.map(function(v) { return v / 1e5; });
        c.r = c.r.map(function(v) { return v / 10; });
        c.date = c.t0.map(function(t0, i) {
            var precision = data.date_precisions[c.dp[i]], first = day(t0);
            if (precision === "hour") {
                var h = Math.floor(c.hm[i] / 60), m = c.hm[i] % 60;
                first += " " + (h < 10 ? "0" : "") + h + ":" + (m < 10 ? "0" : "") + m;
            }
            if ((precision === "hour" || precision === "day") && t0 === c.t1[i]) { return first; }
            return first + " to " + day(c.t1[i]);
        });
    }
    var n = c.lat.length;
    var renderer = n > options.canvasThreshold ? L.canvas({padding: 0.5}) : L.svg();
    function esc(v) {
        return String(v === null || v === undefined ? "" : v)
            .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
            .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
    }
    function row(label, value) {
        return value ? "<tr><th>" + esc(label) + "</th><td>" + esc(value) + "</td></tr>" : "";
    }
    function link(source) {
        var text = esc(source[0]) + (source[1] ? ": " + esc(source[1]) : "") +
            (source[2] ? " (" + esc(source[2]) + ")" : "");
        if (/^https?:\/\//i.test(source[3])) {
            return '<li><a href="' + esc(source[3]) +
                '" target="_blank" rel="noopener noreferrer">' + text + "</a></li>";
        }
        return "<li>" + text + "</li>";
    }
    function popupHtml(i) {
        var h = '<div class="incident-popup" data-incident-id="' + esc(c.id[i]) + '">';
        h += "<h4>" + esc(c.id[i]) + " · " + esc(c.place[i]) + "</h4><table>";
        h += row("When", c.date[i] + (c.time_note ? " (" + c.time_note[i] + ")" : ""));
        h += row("Date precision", c.date_precision ? c.date_precision[i] : "");
        h += row("Where", [c.place[i], c.district ? c.district[i] : "",
                           c.province ? c.province[i] : ""].filter(Boolean).join(", "));
        h += row("Location precision", data.precision_labels[c.p[i]] +
                 (c.geo_note ? ": " + c.geo_note[i] : ""));
        h += row("Rail", c.rail ? c.rail[i] : "");
        h += row("Type", c.event_type ? c.event_type[i] + " / " + c.sub_event_type[i] : "");
        h += row("Detail", c.attack_detail ? c.attack_detail[i] : "");
        h += row("Group(s)", c.grp[i]);
        h += row("As reported", c.group_detail ? c.group_detail[i] : "");
        h += row("Claimed by", c.claimed_by ? c.claimed_by[i] : "");
        h += row("Target", c.target ? c.target[i] : "");
        h += row("Killed (non-attackers)", c.killed[i]);
        h += row("Injured", c.injured[i]);
        h += row("Hostages", c.hostages ? c.hostages[i] : "");
        h += row("Flags", c.flags ? c.flags[i] : "");
        h += row("Dataset", c.dataset ? c.dataset[i] : "");
        h += "</table>";
        if (c.summary && c.summary[i]) { h += "<p>" + esc(c.summary[i]) + "</p>"; }
        if (c.figures_note && c.figures_note[i]) {
            h += "<details><summary>Where reports differ</summary><p>" +
                 esc(c.figures_note[i]) + "</p></details>";
        }
        if (c.sources) {
            h += "<b>Sources (" + c.sources[i].length + ")</b><ol>" +
                 c.sources[i].map(link).join("") + "</ol>";
        }
        if (data.compact) {
            h += '<p class="note">Summary, sources and every reported figure: Incident details ' +
                 "tab below the map (id " + esc(c.id[i]) + ").</p>";
        }
        return h + "</div>";
    }
    var cluster = options.cluster
        ? L.markerClusterGroup({maxClusterRadius: 35, disableClusteringAtZoom: 9,
                                spiderfyOnMaxZoom: true, chunkedLoading: true})
        : L.featureGroup();
    function addAll(group, layers) {
        if (group.addLayers) { group.addLayers(layers); } else { layers.forEach(function(m) { group.addLayer(m); }); }
    }
    var markers = new Array(n);
    for (var i = 0; i < n; i++) {
        var s = data.precision_styles[c.p[i]];
        var m = L.circleMarker([c.lat[i], c.lon[i]], {
            renderer: renderer, radius: c.r[i], color: data.colours[c.g[i]],
            fillColor: data.colours[c.g[i]], fillOpacity: s.fillOpacity,
            weight: s.weight, dashArray: s.dashArray, className: "incident-marker"
        });
        m.incidentIndex = i;
        m.bindTooltip(esc(c.id[i] + " · " + c.date[i] + " · " + c.grp[i] +
                          " · killed " + c.killed[i]));
        m.bindPopup(function(layer) { return popupHtml(layer.incidentIndex); },
                    {maxWidth: 420, maxHeight: 380, className: "incident-popup-wrap"});
        markers[i] = m;
    }
    addAll(cluster, markers);
    fg.addLayer(cluster);

    // Hexagonal bins counted on the server when the selection is over the cap.
    var bins = data.bins, binCount = 0;
    if (bins) {
        var binLayer = L.featureGroup();
        for (var b = 0; b < bins.count.length; b++) {
            var k = bins.count[b];
            binCount += k;
            var size = Math.round(Math.min(26 + 7 * Math.log10(k), 60));
            var text = k >= 10000 ? Math.round(k / 1000) + "k" :
                       k >= 1000 ? (k / 1000).toFixed(1) + "k" : String(k);
            var icon = L.divIcon({
                className: "incident-bin",
                html: '<div style="border-color:' + esc(data.bin_colours[bins.g[b]] || "#6b6b6b") +
                      ';width:' + size + "px;height:" + size + "px;line-height:" + size + 'px">' +
                      esc(text) + "</div>",
                iconSize: [size, size]
            });
            var bm = L.marker([bins.lat[b], bins.lon[b]], {icon: icon, keyboard: false});
            bm.bindTooltip(esc(k + " incidents, " + bins.killed[b] + " killed (highest reports), " +
                               "mostly " + (data.bin_groups[bins.g[b]] || "other") +
                               " — zoom in for each incident"));
            bm.on("click", function(e) { map.setView(e.latlng, Math.min(map.getZoom() + 2, 16)); });
            binLayer.addLayer(bm);
        }
        fg.addLayer(binLayer);
    }
    var summary = n + (n === 1 ? " incident" : " incidents") + " on map";
    if (bins) {
        summary = n.toLocaleString("en") + " of " + data.total.toLocaleString("en") +
                  " incidents drawn one by one, " + binCount.toLocaleString("en") +
                  " in " + bins.count.length + " hexagonal bins";
    }
    var status = L.control({position: "topright"});
    status.onAdd = function() {
        var div = L.DomUtil.create("div", "incident-status");
        div.textContent = summary;
        if (data.note) { div.title = data.note; }
        return div;
    };

    var legend = L.control({position: "bottomright"});
    legend.onAdd = function() {
        var div = L.DomUtil.create("div", "incident-legend");
        var h = "<b>Group</b>";
        data.groups.forEach(function(g, k) {
            h += '<div><span class="swatch" style="background:' + esc(data.colours[k]) +
                 '"></span>' + esc(g) + "</div>";
        });
        h += "<b>Location</b>";
        data.precision_labels.forEach(function(label, k) {
            var s = data.precision_styles[k];
            h += '<div><svg width="16" height="16"><circle cx="8" cy="8" r="6" ' +
                 'stroke="#333" stroke-width="' + s.weight + '" fill="#333" fill-opacity="' +
                 s.fillOpacity + '" stroke-dasharray="' + (s.dashArray || "") +
                 '"/></svg> ' + esc(label) + "</div>";
        });
        h += "<div class='note'>Size: people killed (highest report)</div>";
        div.innerHTML = h;
        L.DomEvent.disableClickPropagation(div);
        return div;
    };

    var first = Infinity, last = -Infinity;
    for (var q = 0; q < n; q++) { first = Math.min(first, c.t0[q]); last = Math.max(last, c.t1[q]); }
    var monthly = (last - first) > 180;
    function periodStart(t) {
        var d = new Date(t * DAY);
        if (monthly) { return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) / DAY; }
        return t - ((d.getUTCDay() + 6) % 7);
    }
    function nextPeriod(t) {
        var d = new Date(t * DAY);
        if (monthly) { return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) / DAY; }
        return t + 7;
    }
    var periods = [];
    if (n > 0) {
        for (var p = periodStart(first); p <= last; p = nextPeriod(p)) { periods.push(p); }
    }
    var step = -1, timer = null;
    var playback = L.control({position: "bottomleft"});
    playback.onAdd = function() {
        var div = L.DomUtil.create("div", "incident-playback");
        div.innerHTML =
            '<button type="button" data-action="first" title="First period">|◀</button>' +
            '<button type="button" data-action="back" title="Previous period">◀</button>' +
            '<button type="button" data-action="play" title="Play">▶</button>' +
            '<button type="button" data-action="forward" title="Next period">▶|</button>' +
            '<button type="button" data-action="all" title="Show all">All</button>' +
            '<span class="period"></span>';
        L.DomEvent.disableClickPropagation(div);
        div.addEventListener("click", function(event) {
            var action = event.target.getAttribute("data-action");
            if (action === "first") { stop(); show(0); }
            if (action === "back") { stop(); show(Math.max(0, step - 1)); }
            if (action === "forward") { stop(); show(Math.min(periods.length - 1, step + 1)); }
            if (action === "all") { stop(); show(-1); }
            if (action === "play") { timer ? stop() : play(); }
        });
        return div;
    };
    function label(text) {
        var el = document.querySelector(".incident-playback .period");
        if (el) { el.textContent = text; }
    }
    function show(k) {
        step = k;
        var visible = [], current = 0;
        var end = k < 0 ? Infinity : nextPeriod(periods[k]);
        var begin = k < 0 ? -Infinity : periods[k];
        for (var i = 0; i < n; i++) {
            if (c.t0[i] < end) {
                var now = c.t1[i] >= begin;
                var s = data.precision_styles[c.p[i]];
                markers[i].setStyle({opacity: now ? 1 : 0.25,
                                     fillOpacity: now ? s.fillOpacity : s.fillOpacity * 0.25});
                visible.push(markers[i]);
                if (now) { current++; }
            }
        }
        cluster.clearLayers();
        addAll(cluster, visible);
        if (k < 0) {
            label(summary);
        } else {
            var d = new Date(periods[k] * DAY);
            var name = monthly
                ? d.toLocaleString("en-GB", {month: "short", year: "numeric", timeZone: "UTC"})
                : "week of " + d.toISOString().slice(0, 10);
            label(name + ": " + current + " incident(s), " + visible.length + " so far");
        }
    }
    function play() {
        var button = document.querySelector('.incident-playback [data-action="play"]');
        if (button) { button.textContent = "❚❚"; }
        if (step < 0 || step >= periods.length - 1) { show(0); }
        timer = setInterval(function() {
            if (step >= periods.length - 1) { stop(); return; }
            show(step + 1);
        }, options.intervalMs);
    }
    function stop() {
        if (timer) { clearInterval(timer); timer = null; }
        var button = document.querySelector('.incident-playback [data-action="play"]');
        if (button) { button.textContent = "▶"; }
    }
    function addControls() {
        legend.addTo(map);
        if (bins) { status.addTo(map); }
        if (options.playback && (n > 0 || !bins)) { playback.addTo(map); label(summary); }
    }
    function removeControls() {
        legend.remove();
        status.remove();
        if (options.playback && (n > 0 || !bins)) { stop(); playback.remove(); }
    }
    fg.on("add", addControls);
    fg.on("remove", removeControls);
    if (map.hasLayer(fg)) { addControls(); }
};