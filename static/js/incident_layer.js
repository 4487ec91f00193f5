/* Incident layer for the Folium map (see layers/incidents.py).

   A small selection arrives with the map, as columns with every detail. A large one is a mask
   over the dataset's compact payload (typed arrays in base64), which the page fetches once from
   the app's static files and keeps between reruns (see layers/payload.py).
   Supercluster indexes it in the browser, so panning and zooming never ask the server for
   anything: each view draws the clusters and single incidents that fall in it. Every text value
   from data goes through esc() before it reaches HTML; links are made only for http(s) URLs. */
(function() {
    "use strict";
    var DAY = 86400000;
    var PANE = "incidents";
    var MAX_GROUP_SLOTS = 10;  // cluster rings show the 10 largest groups, then "other"

    function esc(v) {
        return String(v === null || v === undefined ? "" : v)
            .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
            .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
    }
    // toLocaleString goes through ICU: a third of a zoom step's script time with 700 clusters.
    function thousands(k) {
        var x = Number(k);
        if (!Number.isInteger(x)) { return x.toLocaleString("en"); }
        return String(x).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    }
    function shortCount(k) {
        if (k >= 100000) { return Math.round(k / 1000) + "k"; }
        if (k >= 10000) { return (k / 1000).toFixed(0) + "k"; }
        if (k >= 1000) { return (k / 1000).toFixed(1) + "k"; }
        return String(k);
    }

    // ---- Columns: plain lists (full payload) or typed arrays and dictionaries (compact) ----
    var INT_KINDS = {Uint8: Uint8Array, Uint16: Uint16Array, Uint32: Uint32Array};
    // A typed column: base64 text sent with the map, or bytes of the published file, viewed
    // where they are (``file``: {buffer, start}, see unpack).
    function typed(col, file) {
        var Kind = INT_KINDS[col.int];
        if (!Kind) { throw new Error("unknown column type " + col.int); }
        if (col.at !== undefined) {
            return new Kind(file.buffer, file.start + col.at, col.bytes / Kind.BYTES_PER_ELEMENT);
        }
        var bin = atob(col.data), bytes = new Uint8Array(bin.length);
        for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
        return new Kind(bytes.buffer);
    }
    function accessor(col, file) {
        if (col === undefined) { return null; }
        if (Array.isArray(col)) { return function(i) { return col[i]; }; }
        if (col.int) {
            var values = typed(col, file), offset = col.offset;
            return function(i) { return values[i] + offset; };
        }
        if (col.dict) {
            var codes = accessor(col.codes, file), dict = col.dict;
            return function(i) { return dict[codes(i)]; };
        }
        // Ids: a prefix (with the number's width) per id, then its number padded with zeros.
        var ids = col.ids, idCodes = accessor(col.codes, file);
        var numbers = accessor(col.numbers, file);
        return function(i) {
            var key = ids[idCodes(i)], width = key[1];
            if (!width) { return key[0]; }
            var s = String(numbers(i));
            while (s.length < width) { s = "0" + s; }
            return key[0] + s;
        };
    }
    // A column as numbers (offset added, scaled). V8 slows a loop down for good once it has
    // seen arrays of several kinds (40 ms a column of a million, against 2-5 ms): typed columns
    // are converted natively (``set``), then shifted by a loop that only ever sees one kind.
    function shiftFloat64(v, offset, scale) {
        for (var i = 0; i < v.length; i++) { v[i] = (v[i] + offset) / scale; }
    }
    function shiftFloat32(v, offset, scale) {
        for (var i = 0; i < v.length; i++) { v[i] = (v[i] + offset) / scale; }
    }
    function shiftInt32(v, offset) {
        for (var i = 0; i < v.length; i++) { v[i] = v[i] + offset; }
    }
    function numeric(col, file, n, scale, Kind) {
        var out, i;
        if (!col.int) {  // plain values (a payload with every detail)
            var get = accessor(col, file);
            out = new Kind(n);
            for (i = 0; i < n; i++) { out[i] = get(i) / scale; }
            return out;
        }
        var values = typed(col, file);
        out = new Kind(n);
        out.set(values);
        if (!col.offset && scale === 1) { return out; }
        if (Kind === Float64Array) { shiftFloat64(out, col.offset, scale); return out; }
        if (Kind === Float32Array) { shiftFloat32(out, col.offset, scale); return out; }
        if (Kind === Int32Array && scale === 1) { shiftInt32(out, col.offset); return out; }
        var wide = new Float64Array(n);
        wide.set(values);
        shiftFloat64(wide, col.offset, scale);
        return new Kind(wide);
    }
    function day(t) { return new Date(t * DAY).toISOString().slice(0, 10); }

    function decode(data) {
        var raw = data.columns, c = {};
        Object.keys(raw).forEach(function(k) { c[k] = accessor(raw[k], data.file); });
        var n = data.compact ? data.count : raw.lat.length;
        var scale = data.compact ? 1e5 : 1;
        var f = data.file;
        var cols = {
            n: n,
            lat: numeric(raw.lat, f, n, scale, Float64Array),
            lon: numeric(raw.lon, f, n, scale, Float64Array),
            g: numeric(raw.g, f, n, 1, Uint16Array),
            r: numeric(raw.r, f, n, data.compact ? 10 : 1, Float32Array),
            p: numeric(raw.p, f, n, 1, Uint8Array),
            t0: numeric(raw.t0, f, n, 1, Int32Array),
            t1: numeric(raw.t1, f, n, 1, Int32Array),
            f: raw.f ? numeric(raw.f, f, n, 1, Uint8Array) : new Uint8Array(n),
            w: raw.w ? numeric(raw.w, f, n, 1, Float32Array) : new Float32Array(n).fill(1),
            text: c
        };
        if (data.compact) {
            c.date = function(i) {
                var precision = data.date_precisions[c.dp(i)], t0 = cols.t0[i], first = day(t0);
                if (precision === "hour") {
                    var hm = c.hm(i), h = Math.floor(hm / 60), m = hm % 60;
                    first += " " + (h < 10 ? "0" : "") + h + ":" + (m < 10 ? "0" : "") + m;
                }
                if ((precision === "hour" || precision === "day") && t0 === cols.t1[i]) {
                    return first;
                }
                return first + " to " + day(cols.t1[i]);
            };
        }
        return cols;
    }

    // ---- Popups ----
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
    function popupHtml(data, cols, i) {
        var c = cols.text;
        function v(name) { return c[name] ? c[name](i) : ""; }
        var h = '<div class="incident-popup" data-incident-id="' + esc(c.id(i)) + '">';
        h += "<h4>" + esc(c.id(i)) + " · " + esc(c.place(i)) + "</h4><table>";
        h += row("When", c.date(i) + (v("time_note") ? " (" + v("time_note") + ")" : ""));
        h += row("Date precision", v("date_precision"));
        h += row("Where", [c.place(i), v("district"), v("province")].filter(Boolean).join(", "));
        h += row("Location precision", data.precision_labels[cols.p[i]] +
                 (v("geo_note") ? ": " + v("geo_note") : ""));
        h += row("Rail", v("rail"));
        h += row("Type", v("event_type") ? v("event_type") + " / " + v("sub_event_type") : "");
        h += row("Detail", v("attack_detail"));
        h += row("Group(s)", c.grp(i));
        h += row("As reported", v("group_detail"));
        h += row("Claimed by", v("claimed_by"));
        h += row("Target", v("target"));
        h += row("Killed (non-attackers)", c.killed(i));
        h += row("All deaths as reported (attackers included)", v("deaths"));
        h += row("Injured", c.injured(i));
        h += row("Hostages", v("hostages"));
        h += row("Flags", v("flags"));
        h += row("Dataset", v("dataset"));
        h += row("Reports", v("reports") > 1 ?
                 v("reports") + " (one event; all in the Incident details tab)" : "");
        h += "</table>";
        if (v("summary")) { h += "<p>" + esc(v("summary")) + "</p>"; }
        if (v("figures_note")) {
            h += "<details><summary>Where reports differ</summary><p>" +
                 esc(v("figures_note")) + "</p></details>";
        }
        if (c.sources) {
            var sources = c.sources(i);
            h += "<b>Sources (" + sources.length + ")</b><ol>" + sources.map(link).join("") + "</ol>";
        } else {
            h += '<p class="note">Summary, sources and every reported figure are in the ' +
                 "Incident details tab.</p>";
        }
        h += '<button type="button" class="open-details" data-incident-id="' + esc(c.id(i)) +
             '">Open in Incident details</button>';
        return h + "</div>";
    }
    // Ask the app to show one incident in its details tab (one rerun, on this click only).
    var nonce = 0;
    function openDetails(id) {
        if (!window.Streamlit || !window.Streamlit.setComponentValue) { return; }
        nonce += 1;
        window.Streamlit.setComponentValue({open_incident: id, nonce: Date.now() + "-" + nonce});
    }

    // ---- The link keeps the map's view, basemap and overlays (no rerun needed) ----
    var VIEW_KEYS = ["view", "basemap", "layers"];
    var linkState = {basemap: null, shown: [], basemaps: {}, overlays: {}};
    function mapQuery(map) {
        var c = map.getCenter();
        var query = {view: c.lat.toFixed(4) + "," + c.lng.toFixed(4) + "," + map.getZoom()};
        if (linkState.basemap) { query.basemap = linkState.basemaps[linkState.basemap] || null; }
        query.layers = linkState.shown.join(",");
        return query;
    }
    function withMapKeys(url, map) {
        var u = new URL(url, window.parent.location.href), query = mapQuery(map);
        VIEW_KEYS.forEach(function(k) {
            if (query[k] === undefined || query[k] === null) { u.searchParams.delete(k); }
            else { u.searchParams.set(k, query[k]); }
        });
        return u.pathname + u.search + u.hash;
    }
    function updateLink() {
        try {
            var history = window.parent.history;
            history.replaceState(history.state, "", window.parent.location.href);
        } catch (e) { /* the page is not ours to change (another origin) */ }
    }
    function keepViewInLink(map, state) {
        var parent;
        try { parent = window.parent; void parent.location.href; } catch (e) { return; }
        linkState.basemap = state.basemap || linkState.basemap;
        linkState.basemaps = state.basemaps || {};
        linkState.overlays = state.overlays || {};
        if (!window.__incidentLinkWired) {
            window.__incidentLinkWired = true;
            linkState.shown = (state.shown || []).slice();
            var history = parent.history;
            // Streamlit rewrites the URL when the filters change; keep the map's keys in it.
            ["pushState", "replaceState"].forEach(function(name) {
                var original = history[name].bind(history);
                history[name] = function(historyState, title, url) {
                    try {
                        if (url !== undefined && url !== null) { url = withMapKeys(url, map); }
                    } catch (e) { /* keep Streamlit's URL as it is */ }
                    return original(historyState, title, url);
                };
            });
            map.on("moveend", updateLink);
            map.on("baselayerchange", function(e) { linkState.basemap = e.name; updateLink(); });
            map.on("overlayadd overlayremove", function(e) {
                // Only the analyst's own clicks in the layer control: the control also reports
                // layers the app swaps when the filters change.
                var control = window.layer_control;
                if (!control || !control._handlingClick) { return; }
                var key = linkState.overlays[e.name];
                if (!key) { return; }
                var shown = linkState.shown.filter(function(k) { return k !== key; });
                if (e.type === "overlayadd") { shown.push(key); }
                var order = Object.keys(linkState.overlays).map(function(n) { return linkState.overlays[n]; });
                linkState.shown = order.filter(function(k) { return shown.indexOf(k) >= 0; });
                updateLink();
            });
        }
        updateLink();
    }

    // ---- Cluster sums, added up once the index is built ----
    // Supercluster's map/reduce options copy a cluster's properties at every zoom level: they
    // doubled the time to index a million incidents (1.0 s against 0.5 s). The sums a cluster
    // shows (incidents per ring slot, in the playback period, flagged; the heatmap's weight)
    // are added up after indexing instead: each point and cluster that joined a coarser cluster
    // adds its sums to that cluster's, one zoom level at a time from the finest. This reads
    // Supercluster 8's tree data (per item: x, y, zoom, id, parent id, point count; the version
    // is pinned in package-lock.json).
    var ITEM_ID = 3, ITEM_PARENT = 4, ITEM_COUNT = 5;
    // ``kind``: {width: sums per cluster, add(sums, at, i): add incident i's at ``at``,
    // describe(properties, sums, at): write a cluster's sums into its properties}.
    function ClusterSums(index, features, kind) {
        if (!index.trees || !(index.stride >= ITEM_COUNT + 1)) {
            throw new Error("this Supercluster version keeps its clusters differently");
        }
        this.kind = kind;
        this.rowOf = new Map();  // cluster id -> its row
        this.sums = new Float64Array(kind.width * 1024);
        var width = kind.width, stride = index.stride;
        for (var z = index.options.maxZoom + 1; z > index.options.minZoom; z--) {
            var data = index.trees[z].data;
            for (var k = 0; k < data.length; k += stride) {
                var parent = data[k + ITEM_PARENT];
                if (parent === -1) { continue; }
                var into = this.row(parent);
                if (data[k + ITEM_COUNT] === 1) {
                    kind.add(this.sums, into, features[data[k + ITEM_ID]].properties.i);
                    continue;
                }
                var from = this.row(data[k + ITEM_ID]), sums = this.sums;
                for (var q = 0; q < width; q++) { sums[into + q] += sums[from + q]; }
            }
        }
    }
    // Where a cluster's sums start (a new, zeroed row the first time).
    ClusterSums.prototype.row = function(clusterId) {
        var row = this.rowOf.get(clusterId);
        if (row === undefined) {
            row = this.rowOf.size;
            this.rowOf.set(clusterId, row);
            if ((row + 1) * this.kind.width > this.sums.length) {
                var more = new Float64Array(this.sums.length * 2);
                more.set(this.sums);
                this.sums = more;
            }
        }
        return row * this.kind.width;
    };
    ClusterSums.prototype.describe = function(feature) {
        var p = feature.properties;
        if (p.cluster) { this.kind.describe(p, this.sums, this.row(p.cluster_id)); }
        return feature;
    };

    // ---- Point features, one per row, shared by every selection of a payload ----
    // Supercluster indexes GeoJSON-like points. Made for the rows a selection holds the first
    // time one holds them and kept with the decoded columns (cols.base for the rows of a
    // published file a selection with extra rows shares): a filter change selects from them
    // instead of making half a million objects again, and the indexes kept for going back
    // share them. Read only: clusters are new objects, points are returned as they are.
    var pointCache = new WeakMap();  // decoded columns -> Array of their points (sparse)
    function pointAt(cols, i) {
        return {type: "Feature", properties: {i: i},
                geometry: {type: "Point", coordinates: [cols.lon[i], cols.lat[i]]}};
    }
    // The points of rows ``rows`` (positions in ``cols``), in that order.
    function pointsOf(cols, rows) {
        var base = cols.base || cols, made = pointCache.get(base);
        if (!made) {
            made = new Array(base.n);
            pointCache.set(base, made);
        }
        var out = new Array(rows.length);
        for (var k = 0; k < rows.length; k++) {
            var i = rows[k];
            if (i >= base.n) {
                out[k] = pointAt(cols, i);  // a row of this selection only
            } else {
                out[k] = made[i] || (made[i] = pointAt(base, i));
            }
        }
        return out;
    }

    // ---- Clustering: one index up to zoom 12, indexes of the view's surroundings above ----
    // Supercluster prepares every zoom level at load, and above zoom 12 a level holds nearly
    // every point: a million incidents take 0.5 s to index up to zoom 12 and 2.4 s up to 16.
    // So one index serves zooms 0-12, and above that an index of the points around the view
    // (the view and half of it on each side) is built when the view first leaves it.
    // ``features`` are points whose ``properties.i`` is the incident's row; ``kind`` says what
    // each cluster sums (see ClusterSums).
    var COARSE_MAX_ZOOM = 12;
    function TieredIndex(features, maxZoom, options, kind) {
        this.features = features;
        this.maxZoom = maxZoom;
        this.options = options;
        this.kind = kind;
        this.coarseZoom = Math.min(COARSE_MAX_ZOOM, maxZoom);
        this.coarse = new Supercluster(Object.assign({}, options, {maxZoom: this.coarseZoom}))
            .load(features);
        this.coarseSums = new ClusterSums(this.coarse, features, kind);
        this.fine = null;  // {box, index, sums}
    }
    TieredIndex.prototype.fineFor = function(box) {
        var f = this.fine;
        if (f && box[0] >= f.box[0] && box[1] >= f.box[1] && box[2] <= f.box[2] &&
                box[3] <= f.box[3]) {
            return f;
        }
        var w = (box[2] - box[0]) / 2, h = (box[3] - box[1]) / 2;
        var around = [box[0] - w, box[1] - h, box[2] + w, box[3] + h], inside = [];
        for (var k = 0; k < this.features.length; k++) {
            var xy = this.features[k].geometry.coordinates;
            if (xy[0] >= around[0] && xy[0] <= around[2] && xy[1] >= around[1] &&
                    xy[1] <= around[3]) {
                inside.push(this.features[k]);
            }
        }
        var options = Object.assign({}, this.options,
                                    {minZoom: this.coarseZoom + 1, maxZoom: this.maxZoom});
        var index = new Supercluster(options).load(inside);
        this.fine = {box: around, index: index, sums: new ClusterSums(index, inside, this.kind)};
        return this.fine;
    };
    TieredIndex.prototype.getClusters = function(box, zoom) {
        if (zoom <= this.coarseZoom) {
            var sums = this.coarseSums;
            return this.coarse.getClusters(box, zoom).map(function(feature) {
                return sums.describe(feature);
            });
        }
        var fine = this.fineFor(box);
        return fine.index.getClusters(box, zoom).map(function(feature) {
            fine.sums.describe(feature);
            // A fresh properties object per call: the id says which index the cluster is in.
            if (feature.properties.cluster) {
                feature.properties.cluster_id = "fine:" + feature.properties.cluster_id;
            }
            return feature;
        });
    };
    TieredIndex.prototype.owner = function(clusterId) {
        if (typeof clusterId === "string") {
            return [this.fine.index, Number(clusterId.slice(5))];
        }
        return [this.coarse, clusterId];
    };
    TieredIndex.prototype.getLeaves = function(clusterId, limit, offset) {
        var at = this.owner(clusterId);
        return at[0].getLeaves(at[1], limit, offset);
    };
    TieredIndex.prototype.getClusterExpansionZoom = function(clusterId) {
        var at = this.owner(clusterId);
        return at[0].getClusterExpansionZoom(at[1]);
    };

    // ---- The few things used last (indexes, files), kept for using them again ----
    // In the order of use: reading an entry makes it the last used; adding one past ``limit``
    // lets the least recently used go.
    function Recent(limit) {
        this.limit = limit;
        this.entries = new Map();
    }
    Recent.prototype.get = function(key) {
        if (!this.entries.has(key)) { return undefined; }
        var value = this.entries.get(key);
        this.set(key, value);
        return value;
    };
    Recent.prototype.set = function(key, value) {
        this.entries.delete(key);
        this.entries.set(key, value);
        while (this.entries.size > this.limit) {
            this.entries.delete(this.entries.keys().next().value);
        }
    };
    // Let ``key`` go if it still holds ``value`` (not one added since).
    Recent.prototype.drop = function(key, value) {
        if (this.entries.get(key) === value) { this.entries.delete(key); }
    };
    Recent.prototype.keys = function() { return Array.from(this.entries.keys()); };

    // ---- The indexes of the selections drawn last, kept for going back to them ----
    // Indexing a million incidents takes most of a second; a filter change back to a selection
    // drawn a moment ago (all time after the last 12 months) finds its index here. Only
    // selections of a published file are kept (the same file and mask are the same incidents),
    // without playback (a period indexes the incidents up to it), the two drawn last.
    var INDEXES_KEPT = 2;
    var keptIndexes = new Recent(INDEXES_KEPT);  // key -> {shown, index}

    // ---- A large dataset is fetched once per page; each selection is a mask over it ----
    // The files of the two datasets drawn last are kept (the reports and their events, when an
    // analyst switches counting each event once on and off): a file keeps its bytes, its
    // columns and, once drawn, its points (185 MB for a million), and a page open all day
    // would otherwise keep every file the store published for it since it was opened.
    var PAYLOADS_KEPT = 2;
    var payloads = new Recent(PAYLOADS_KEPT);  // url -> Promise of {data, cols}
    function sharedPayload(url) {
        var loading = payloads.get(url);
        if (!loading) {
            loading = fetch(url).then(function(response) {
                if (!response.ok) { throw new Error("HTTP " + response.status); }
                // Compressed once on the server (layers/payload.py), inflated here.
                var inflated = response.body.pipeThrough(new DecompressionStream("gzip"));
                return new Response(inflated).arrayBuffer();
            }).then(function(buffer) {
                var data = unpack(buffer);
                return {data: data, cols: decode(data)};
            });
            payloads.set(url, loading);
            loading.catch(function() { payloads.drop(url, loading); });  // try again next time
        }
        return loading;
    }
    // For tests: the files kept, the one used last at the end, and a way to load one.
    window.__incidentPayloads = {
        kept: function() { return payloads.keys(); },
        load: function(url) { return sharedPayload(url).then(function() { return true; }); }
    };
    // The published file (layers/payload.py, packed_payload): the header's length (4 bytes,
    // little endian), the header (JSON), then the typed columns' bytes, from the next multiple
    // of 8 on.
    function unpack(buffer) {
        var length = new DataView(buffer).getUint32(0, true);
        var data = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, length)));
        data.file = {buffer: buffer, start: Math.ceil((4 + length) / 8) * 8};
        return data;
    }
    // The masked rows of the first n, then every row from n to total (rows sent with the map).
    function selection(mask, n, total) {
        // numpy.packbits order: the first incident is the most significant bit of byte 0.
        var out, k = 0, a;
        total = total === undefined ? n : total;
        if (mask === null || mask === undefined) {
            out = new Uint32Array(total);
            for (a = 0; a < total; a++) { out[a] = a; }
            return out;
        }
        var bin = atob(mask), count = 0, b, j;
        for (b = 0; b < bin.length; b++) {
            for (j = bin.charCodeAt(b); j; j &= j - 1) { count++; }
        }
        out = new Uint32Array(count + total - n);
        for (b = 0; b < bin.length; b++) {
            var byte = bin.charCodeAt(b);
            if (!byte) { continue; }
            for (j = 0; j < 8; j++) {
                if (byte & (128 >> j)) { out[k++] = b * 8 + j; }
            }
        }
        for (a = n; a < total; a++) { out[k++] = a; }
        return out;
    }
    // A selection may hold a few rows the published file does not (events worked out for it):
    // they come with the map and are drawn after the file's rows. The file's decoded columns
    // are shared by every rerun, so they are copied, never changed.
    var ROW_NUMBERS = ["lat", "lon", "g", "r", "p", "t0", "t1", "f", "w"];
    function withExtra(shared, extraData) {
        var a = shared.cols, b = decode(extraData), n = a.n + b.n;
        var groups = shared.data.groups.slice(), colours = shared.data.colours.slice();
        var slot = extraData.groups.map(function(name, k) {
            var at = groups.indexOf(name);
            if (at < 0) { at = groups.length; groups.push(name); colours.push(extraData.colours[k]); }
            return at;
        });
        var cols = {n: n, text: {}, base: a};
        ROW_NUMBERS.forEach(function(k) {
            var out = new a[k].constructor(n);
            out.set(a[k]);
            out.set(k === "g" ? b.g.map(function(g) { return slot[g]; }) : b[k], a.n);
            cols[k] = out;
        });
        Object.keys(a.text).concat(Object.keys(b.text)).forEach(function(k) {
            var first = a.text[k], second = b.text[k];
            cols.text[k] = function(i) {
                var get = i < a.n ? first : second;
                return get ? get(i < a.n ? i : i - a.n) : "";
            };
        });
        var data = Object.assign({}, shared.data, {groups: groups, colours: colours});
        return {data: data, cols: cols};
    }
    function loadFailed(map, error) {
        var note = L.control({position: "bottomleft"});
        note.onAdd = function() {
            var div = L.DomUtil.create("div", "incident-playback incident-error");
            div.textContent = "The incidents could not be loaded (" + String(error.message || error) +
                "); reload the page to try again.";
            return div;
        };
        note.addTo(map);
    }

    // ---- Clusters drawn on one canvas ----
    // A zoomed-in view of a million incidents holds about 700 clusters. Drawn as HTML rings, a
    // marker each, the browser created, laid out and painted every one at each zoom step: 214-313
    // ms a step from zoom 6 to 7 or 7 to 8 (bench/paint.py's zoom repaint), over 200 ms.
    function drawRing(ctx, item) {
        var x = item.x, y = item.y, r = item.size / 2, start = -Math.PI / 2;
        ctx.save();
        if (item.faded) { ctx.globalAlpha = 0.35; ctx.filter = "grayscale(0.6)"; }
        // The groups' shares clockwise from twelve o'clock, as CSS draws a conic gradient.
        for (var s = 0; s < item.shares.length; s++) {
            if (!item.shares[s]) { continue; }
            var end = start + 2 * Math.PI * item.shares[s];
            ctx.beginPath();
            ctx.moveTo(x, y);
            ctx.arc(x, y, r, start, end);
            ctx.closePath();
            ctx.fillStyle = item.colours[s];
            ctx.fill();
            start = end;
        }
        ctx.beginPath();
        ctx.arc(x, y, r + 0.75, 0, 2 * Math.PI);
        ctx.lineWidth = 1.5;
        ctx.strokeStyle = "rgba(0,0,0,0.55)";
        ctx.stroke();
        ctx.beginPath();
        ctx.arc(x, y, r * 0.64, 0, 2 * Math.PI);
        ctx.fillStyle = "rgba(255,255,255,0.95)";
        ctx.fill();
        ctx.font = "700 11px sans-serif";
        ctx.textAlign = "center";
        ctx.textBaseline = "middle";
        ctx.fillStyle = "#111";
        var shift = item.flagged ? 2 : 0;
        ctx.fillText(item.text, x - shift, y);
        if (item.flagged) {
            var half = ctx.measureText(item.text).width / 2;
            ctx.font = "700 9px sans-serif";
            ctx.textAlign = "left";
            ctx.fillStyle = "#b00";
            ctx.fillText("!", x - shift + half + 1, y - 4);
        }
        ctx.restore();
    }
    // Whether a map event happened on an incident's point (drawn over the clusters).
    function onPoint(e) {
        var target = e.originalEvent && e.originalEvent.target;
        return Boolean(target && target.classList && target.classList.contains("incident-marker"));
    }
    // Items {lat, lng, size, colours, shares, text, flagged, faded} drawn for the view; a click
    // on one calls ``handlers.click(item)``, hovering shows ``handlers.tip(item)``.
    var ClusterCanvas = L.Layer.extend({
        options: {pane: PANE, padding: 0.25},
        initialize: function(handlers) {
            this._handlers = handlers;
            this._items = [];
        },
        onAdd: function(map) {
            this._canvas = L.DomUtil.create("canvas", "incident-clusters leaflet-zoom-hide");
            var pane = this.getPane();
            pane.insertBefore(this._canvas, pane.firstChild);  // under the points
            map.on("click", this._click, this);
            map.on("mousemove", this._hover, this);
            map.on("mouseout zoomstart", this._unhover, this);
            this._place();
        },
        onRemove: function(map) {
            this._unhover();
            map.off("click", this._click, this);
            map.off("mousemove", this._hover, this);
            map.off("mouseout zoomstart", this._unhover, this);
            L.DomUtil.remove(this._canvas);
            this._canvas = null;
        },
        draw: function(items) {
            this._items = items;
            this._unhover();
            if (this._map) { this._place(); }
        },
        // Where each item is now, in the map frame's coordinates (what a person sees).
        shown: function() {
            var map = this._map;
            if (!map) { return []; }
            var box = map.getContainer().getBoundingClientRect();
            return this._items.map(function(item) {
                var p = map.latLngToContainerPoint([item.lat, item.lng]);
                return {x: box.left + p.x, y: box.top + p.y, size: item.size, count: item.count,
                        faded: item.faded, colours: item.colours, shares: item.shares};
            });
        },
        _place: function() {
            var map = this._map, canvas = this._canvas, size = map.getSize();
            var pad = size.multiplyBy(this.options.padding).round();
            var origin = map.containerPointToLayerPoint(pad.multiplyBy(-1)).round();
            var width = size.x + 2 * pad.x, height = size.y + 2 * pad.y;
            var ratio = window.devicePixelRatio || 1;
            canvas.width = Math.round(width * ratio);
            canvas.height = Math.round(height * ratio);
            canvas.style.width = width + "px";
            canvas.style.height = height + "px";
            L.DomUtil.setPosition(canvas, origin);
            this._origin = origin;
            var ctx = canvas.getContext("2d");
            ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
            for (var k = 0; k < this._items.length; k++) {
                var item = this._items[k];
                var p = map.latLngToLayerPoint([item.lat, item.lng]).subtract(origin);
                item.x = p.x;
                item.y = p.y;
                drawRing(ctx, item);
            }
        },
        // The item under a point of the map, the one drawn last (on top) first.
        _at: function(containerPoint) {
            var p = this._map.containerPointToLayerPoint(containerPoint).subtract(this._origin);
            for (var k = this._items.length - 1; k >= 0; k--) {
                var item = this._items[k], dx = p.x - item.x, dy = p.y - item.y;
                var r = item.size / 2 + 1.5;
                if (dx * dx + dy * dy <= r * r) { return item; }
            }
            return null;
        },
        _click: function(e) {
            var item = onPoint(e) ? null : this._at(e.containerPoint);
            if (item) { this._handlers.click(item); }
        },
        _hover: function(e) {
            var item = onPoint(e) ? null : this._at(e.containerPoint);
            if (item === this._hovered) { return; }
            this._unhover();
            if (!item) { return; }
            this._hovered = item;
            // Over a cluster the canvas takes the mouse: the provinces and rail lines under it
            // neither show their tooltips nor take the click.
            this._canvas.style.pointerEvents = "auto";
            this._map.getContainer().style.cursor = "pointer";
            this._tooltip = L.tooltip({direction: "top", offset: [0, -item.size / 2]})
                .setLatLng([item.lat, item.lng]).setContent(this._handlers.tip(item));
            this._map.openTooltip(this._tooltip);
        },
        _unhover: function() {
            if (this._tooltip && this._map) { this._map.closeTooltip(this._tooltip); }
            this._tooltip = null;
            this._hovered = null;
            if (this._canvas) { this._canvas.style.pointerEvents = "none"; }
            if (this._map) { this._map.getContainer().style.cursor = ""; }
        }
    });

    // ---- The layer ----
    window.incidentLayer = function(fg, map, data, options, state) {
        // Drawn again (a new selection, or new display options): a popup left open may describe
        // an incident the filters now leave out.
        if (window.__incidentData) { map.closePopup(); }
        var loading = data.url
            ? sharedPayload(data.url).then(function(shared) {
                var whole = data.extra ? withExtra(shared, data.extra) : shared;
                return {data: whole.data, cols: whole.cols,
                        sel: selection(data.mask, shared.cols.n, whole.cols.n)};
            })
            : new Promise(function(resolve) {
                var cols = decode(data);
                resolve({data: data, cols: cols, sel: selection(null, cols.n)});
            });
        // Names the selection's incidents and how they cluster, for keptIndexes.
        var key = data.url && !data.extra
            ? [data.url, data.mask || "all", options.cluster, map.getMaxZoom()].join("|") : null;
        window.__incidentReady = loading.then(function(shared) {
            shared.source = data.url ? "published file" : "sent with the map";
            window.__incidentData = shared;
            drawLayer(fg, map, shared.data, shared.cols, shared.sel, options, state, key);
            return shared;
        });
        window.__incidentReady.catch(function(error) { loadFailed(map, error); });
    };

    // The selected incidents ``sel`` (positions in ``cols``) drawn into ``fg``.
    function drawLayer(fg, map, data, cols, sel, options, state, key) {
        var n = sel.length, c = cols.text;
        if (!map.getPane(PANE)) {
            map.createPane(PANE).style.zIndex = 450;
            map.getPane(PANE).style.pointerEvents = "none";
        }
        var renderer = L.svg({pane: PANE, padding: 0.3});
        var legendOrder = data.groups.map(function(_, k) { return k; });
        // Cluster rings: the groups with most incidents get their own slot, the rest "other".
        var countsByGroup = new Float64Array(data.groups.length);
        for (var q = 0; q < n; q++) { countsByGroup[cols.g[sel[q]]] += 1; }
        legendOrder.sort(function(a, b) { return countsByGroup[b] - countsByGroup[a]; });
        var slotOf = new Int16Array(data.groups.length).fill(MAX_GROUP_SLOTS);
        legendOrder.slice(0, MAX_GROUP_SLOTS).forEach(function(k, s) { slotOf[k] = s; });
        var slotColours = legendOrder.slice(0, MAX_GROUP_SLOTS).map(function(k) {
            return data.colours[k];
        });
        slotColours.push(data.other_colour || "#bdbdbd");
        var slotNames = legendOrder.slice(0, MAX_GROUP_SLOTS).map(function(k) { return data.groups[k]; });
        slotNames.push("other groups");

        var period = null;  // {begin, end} during playback
        var layer = L.layerGroup();
        var index = null;
        var shown = null;  // indices of incidents in the index (all, or up to the playback step)

        function isNow(i) { return !period || cols.t1[i] >= period.begin; }
        // A cluster's ring: incidents per group slot, then those in the playback period, then
        // the flagged ones.
        var SLOTS = MAX_GROUP_SLOTS + 1;
        var ringSums = {
            width: SLOTS + 2,
            add: function(sums, at, i) {
                sums[at + slotOf[cols.g[i]]] += 1;
                sums[at + SLOTS] += isNow(i) ? 1 : 0;
                sums[at + SLOTS + 1] += cols.f[i];
            },
            describe: function(p, sums, at) {
                p.s = new Array(SLOTS);
                for (var q = 0; q < SLOTS; q++) { p.s[q] = sums[at + q]; }
                p.now = sums[at + SLOTS];
                p.f = sums[at + SLOTS + 1];
            }
        };
        function buildIndex() {
            var kept = !period && key ? keptIndexes.get(key) : null;
            if (kept) {
                shown = kept.shown;
                index = kept.index;
                // Its sums are this selection's; what it adds up from now on is this layer's.
                index.kind = index.coarseSums.kind = ringSums;
                index.fine = null;
                window.__incidentData.index = index;
                window.__incidentData.indexKept = true;
                return;
            }
            shown = sel;
            if (period) {
                shown = [];
                for (var j = 0; j < n; j++) {
                    if (cols.t0[sel[j]] < period.end) { shown.push(sel[j]); }
                }
            }
            index = new TieredIndex(pointsOf(cols, shown), map.getMaxZoom() || 16, {
                radius: options.cluster ? 56 : 1,
                minPoints: 2
            }, ringSums);
            window.__incidentData.index = index;
            window.__incidentData.indexKept = false;
            if (!period && key) { keptIndexes.set(key, {shown: shown, index: index}); }
        }

        function pointMarker(i) {
            var s = data.precision_styles[cols.p[i]], colour = data.colours[cols.g[i]];
            var now = isNow(i);
            var m = L.circleMarker([cols.lat[i], cols.lon[i]], {
                renderer: renderer, pane: PANE, radius: cols.r[i], color: colour,
                fillColor: colour, fillOpacity: now ? s.fillOpacity : s.fillOpacity * 0.25,
                opacity: now ? 1 : 0.3, weight: s.weight, dashArray: s.dashArray,
                className: "incident-marker incident-" + esc(c.id(i)).replace(/[^A-Za-z0-9_-]/g, "_")
            });
            m.incidentIndex = i;
            m.bindTooltip(esc(c.id(i) + " · " + c.date(i) + " · " + c.grp(i) + " · killed " +
                              c.killed(i) + (cols.f[i] ? " · flagged" : "") +
                              (c.reports && c.reports(i) > 1 ? " · " + c.reports(i) + " reports" : "")));
            // A popup of the map's own, not the marker's: markers are redrawn as the view
            // moves (also when the popup pans the map into view), the popup must stay open.
            m.on("click", function() { openIncident(i); });
            return m;
        }
        function flagRing(i) {
            return L.circleMarker([cols.lat[i], cols.lon[i]], {
                renderer: renderer, pane: PANE, radius: cols.r[i] + 4, color: "#111",
                weight: 2, dashArray: "3 2", fill: false, interactive: false,
                opacity: isNow(i) ? 1 : 0.3, className: "incident-flag"
            });
        }
        function clusterItem(feature) {
            var p = feature.properties, k = p.point_count;
            var faded = Boolean(period) && p.now === 0;
            var shares = new Array(p.s.length);
            for (var s = 0; s < p.s.length; s++) { shares[s] = p.s[s] / k; }
            return {lat: feature.geometry.coordinates[1], lng: feature.geometry.coordinates[0],
                    size: Math.round(Math.min(28 + 8 * Math.log10(k), 56)), count: k,
                    colours: slotColours, shares: shares, text: shortCount(k),
                    flagged: p.f > 0, faded: faded, feature: feature};
        }
        function clusterTip(item) {
            var p = item.feature.properties, k = item.count, parts = [];
            for (var s = 0; s < p.s.length; s++) {
                if (p.s[s]) { parts.push(thousands(p.s[s]) + " " + slotNames[s]); }
            }
            var tip = thousands(k) + " incidents: " + parts.join(", ");
            if (period) { tip += " (" + thousands(p.now) + " in this period)"; }
            if (p.f) { tip += "; " + thousands(p.f) + " flagged"; }
            return esc(tip);
        }
        var clusters = new ClusterCanvas({tip: clusterTip, click: clusterClick});
        // For tests and the benchmark: the clusters as drawn now, where a person sees them.
        window.__incidentClusters = function() { return clusters.shown(); };
        function clusterClick(item) {
            var id = item.feature.properties.cluster_id, at = L.latLng(item.lat, item.lng);
            var zoom = index.getClusterExpansionZoom(id);
            if (zoom <= map.getMaxZoom()) {
                map.flyTo(at, zoom, {duration: 0.4});
                return;
            }
            // Incidents at one point (or closer than a few metres): list each of them.
            var leaves = index.getLeaves(id, 500);
            var h = '<div class="incident-stack"><b>' + thousands(item.count) +
                    " incidents at this point</b><ol>";
            leaves.forEach(function(leaf) {
                var i = leaf.properties.i;
                h += '<li><a href="#" data-index="' + i + '">' + esc(c.id(i)) + "</a> · " +
                     esc(c.date(i)) + " · " + esc(c.grp(i)) + " · killed " + esc(c.killed(i)) +
                     "</li>";
            });
            if (item.count > leaves.length) {
                h += "<li>… and " + thousands(item.count - leaves.length) +
                     " more: narrow the filters to list them</li>";
            }
            h += "</ol></div>";
            L.popup({maxWidth: 480, minWidth: 260, maxHeight: 420, className: "incident-popup-wrap"})
                .setLatLng(at).setContent(h).openOn(map);
        }
        function openIncident(i) {
            L.popup({maxWidth: 480, minWidth: 260, maxHeight: 420, autoPanPadding: [20, 20],
                     offset: [0, -Math.round(cols.r[i] * 0.6)], className: "incident-popup-wrap"})
                .setLatLng([cols.lat[i], cols.lon[i]]).setContent(popupHtml(data, cols, i))
                .openOn(map);
        }
        function wirePopup(e) {
            var el = e.popup.getElement();
            if (!el || el.__incidentWired) { return; }
            el.__incidentWired = true;
            el.addEventListener("click", function(event) {
                var target = event.target;
                if (target.getAttribute("data-index") !== null) {
                    event.preventDefault();
                    openIncident(Number(target.getAttribute("data-index")));
                } else if (target.classList.contains("open-details")) {
                    openDetails(target.getAttribute("data-incident-id"));
                    target.textContent = "Opening in the Incident details tab below the map…";
                }
            });
        }

        var drawn = {clusters: 0, points: 0, incidents: 0};
        function render() {
            if (!map.hasLayer(fg) || !index) { return; }
            var bounds = map.getBounds().pad(0.25);
            var west = Math.max(bounds.getWest(), -180), east = Math.min(bounds.getEast(), 180);
            var south = Math.max(bounds.getSouth(), -85), north = Math.min(bounds.getNorth(), 85);
            var zoom = Math.round(map.getZoom());
            var features = index.getClusters([west, south, east, north], zoom);
            layer.clearLayers();
            drawn = {clusters: 0, points: 0, incidents: 0};
            var items = [];
            features.forEach(function(feature) {
                if (feature.properties.cluster) {
                    items.push(clusterItem(feature));
                    drawn.clusters += 1;
                    drawn.incidents += feature.properties.point_count;
                } else {
                    var i = feature.properties.i;
                    if (cols.f[i]) { layer.addLayer(flagRing(i)); }
                    layer.addLayer(pointMarker(i));
                    drawn.points += 1;
                    drawn.incidents += 1;
                }
            });
            clusters.draw(items);
            window.__incidentDrawn = drawn;
        }
        fg.addLayer(clusters);
        fg.addLayer(layer);

        // ---- Legend ----
        var summary = thousands(n) + (n === 1 ? " incident" : " incidents") + " on map";
        var legend = L.control({position: "bottomright"});
        legend.onAdd = function() {
            var div = L.DomUtil.create("div", "incident-legend");
            var h = "<details open><summary><b>Legend</b></summary><b>Group</b>";
            var listed = legendOrder.filter(function(k) { return countsByGroup[k] > 0; });
            listed.slice(0, 12).forEach(function(k) {
                h += '<div><span class="swatch" style="background:' + esc(data.colours[k]) +
                     '"></span>' + esc(data.groups[k]) + ' <span class="n">' +
                     thousands(countsByGroup[k]) + "</span></div>";
            });
            if (listed.length > 12) {
                h += "<details><summary>" + (listed.length - 12) + " more groups</summary>";
                listed.slice(12).forEach(function(k) {
                    h += '<div><span class="swatch" style="background:' + esc(data.colours[k]) +
                         '"></span>' + esc(data.groups[k]) + ' <span class="n">' +
                         thousands(countsByGroup[k]) + "</span></div>";
                });
                h += "</details>";
            }
            h += '<b>Clusters</b><div><span class="ring-key"></span>number = incidents; ' +
                 "ring = their groups' shares" +
                 (legendOrder.length > MAX_GROUP_SLOTS ? " (grey: other groups)" : "") +
                 "; click to zoom in</div>";
            h += "<b>Location</b>";
            data.precision_labels.forEach(function(label, k) {
                var s = data.precision_styles[k];
                h += '<div><svg width="16" height="16"><circle cx="8" cy="8" r="6" ' +
                     'stroke="#333" stroke-width="' + s.weight + '" fill="#333" fill-opacity="' +
                     s.fillOpacity + '" stroke-dasharray="' + (s.dashArray || "") +
                     '"/></svg> ' + esc(label) + "</div>";
            });
            h += '<div><svg width="18" height="18"><circle cx="9" cy="9" r="4" fill="#333"/>' +
                 '<circle cx="9" cy="9" r="8" fill="none" stroke="#111" stroke-width="2" ' +
                 'stroke-dasharray="3 2"/></svg> flagged (see Flags in the popup)</div>';
            h += "<b>Size: people killed (highest report)</b><div class='sizes'>";
            (data.size_key || []).forEach(function(entry) {
                var r = entry[1], d = 2 * r + 4;
                h += '<span><svg width="' + d + '" height="' + d + '"><circle cx="' + d / 2 +
                     '" cy="' + d / 2 + '" r="' + r + '" fill="#999" stroke="#333"/></svg>' +
                     esc(entry[0]) + "</span>";
            });
            h += "</div>";
            if (data.rail && data.rail.length) {
                h += "<b>Rail</b>";
                data.rail.forEach(function(entry) {
                    h += '<div><span class="line" style="background:' + esc(entry[1]) +
                         '"></span>' + esc(entry[0]) + "</div>";
                });
                h += '<div><svg width="16" height="12"><circle cx="8" cy="6" r="3.5" fill="#222" ' +
                     'stroke="#222"/></svg> station (sourced position) ' +
                     '<svg width="16" height="12"><circle cx="8" cy="6" r="3.5" fill="#fff" ' +
                     'stroke="#222" stroke-width="1.5"/></svg> placed by km post</div>';
            }
            div.innerHTML = h + "</details>";
            L.DomEvent.disableClickPropagation(div);
            L.DomEvent.disableScrollPropagation(div);
            return div;
        };

        // ---- Playback: step through periods; earlier incidents and clusters fade ----
        var first = Infinity, last = -Infinity;
        for (var t = 0; t < n; t++) {
            first = Math.min(first, cols.t0[sel[t]]);
            last = Math.max(last, cols.t1[sel[t]]);
        }
        var monthly = (last - first) > 180;
        function periodStart(d0) {
            var d = new Date(d0 * DAY);
            if (monthly) { return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) / DAY; }
            return d0 - ((d.getUTCDay() + 6) % 7);
        }
        function nextPeriod(d0) {
            var d = new Date(d0 * DAY);
            if (monthly) { return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) / DAY; }
            return d0 + 7;
        }
        var periods = [];
        if (n > 0) {
            for (var p = periodStart(first); p <= last; p = nextPeriod(p)) { periods.push(p); }
        }
        var step = -1, timer = null, control = null;
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
                if (action === "play") { if (timer) { stop(); } else { play(); } }
            });
            control = div;
            return div;
        };
        var status = L.control({position: "bottomleft"});
        status.onAdd = function() {
            var div = L.DomUtil.create("div", "incident-playback");
            div.innerHTML = '<span class="period"></span>';
            control = div;
            return div;
        };
        function label(text) {
            var el = control && control.querySelector(".period");
            if (el) { el.textContent = text; }
        }
        function show(k) {
            step = k;
            period = k < 0 ? null : {begin: periods[k], end: nextPeriod(periods[k])};
            buildIndex();
            render();
            if (k < 0) { label(summary); return; }
            var current = 0;
            for (var j = 0; j < shown.length; j++) { if (isNow(shown[j])) { current++; } }
            var d = new Date(periods[k] * DAY);
            var name = monthly
                ? d.toLocaleString("en-GB", {month: "short", year: "numeric", timeZone: "UTC"})
                : "week of " + d.toISOString().slice(0, 10);
            label(name + ": " + thousands(current) + " incident(s), " + thousands(shown.length) +
                  " so far");
        }
        function play() {
            var button = control && control.querySelector('[data-action="play"]');
            if (button) { button.textContent = "❚❚"; }
            if (step < 0 || step >= periods.length - 1) { show(0); }
            timer = setInterval(function() {
                if (step >= periods.length - 1) { stop(); return; }
                show(step + 1);
            }, options.intervalMs);
        }
        function stop() {
            if (timer) { clearInterval(timer); timer = null; }
            var button = control && control.querySelector('[data-action="play"]');
            if (button) { button.textContent = "▶"; }
        }
        var bottom = options.playback ? playback : status;
        function addControls() {
            legend.addTo(map);
            bottom.addTo(map);
            label(index ? summary : "Clustering " + thousands(n) + " incidents…");
            map.on("moveend", render);
            map.on("popupopen", wirePopup);
            render();
        }
        function removeControls() {
            stop();
            legend.remove();
            bottom.remove();
            map.off("moveend", render);
            map.off("popupopen", wirePopup);
        }
        fg.on("add", addControls);
        fg.on("remove", removeControls);
        if (map.hasLayer(fg)) { addControls(); }
        keepViewInLink(map, state || {});
        function ready() {
            buildIndex();
            label(summary);
            render();
        }
        // Many incidents take a moment to index: say so on the map first, then index.
        if (n > 50000) { setTimeout(ready, 20); } else { ready(); }
    }

    // ---- Heatmap over the same data: weights summed per cluster of the current view ----
    window.incidentHeat = function(fg, map, options) {
        // The incident layer of the same run was set up just before: draw from its data.
        var ready = window.__incidentReady;
        if (!ready) { return; }
        ready.then(function(shared) { drawHeat(fg, map, options, shared.cols, shared.sel); },
                   function() { /* the incident layer says why */ });
    };
    function drawHeat(fg, map, options, cols, sel) {
        var n = sel.length;
        if (!map.getPane("heat")) {
            map.createPane("heat").style.zIndex = 380;
            map.getPane("heat").style.pointerEvents = "none";
        }
        var index = null;
        function buildIndex() {  // only once the heatmap is first shown
            var options = {radius: 8, minPoints: 2};
            index = new TieredIndex(pointsOf(cols, sel), map.getMaxZoom() || 16, options, {
                width: 1,
                add: function(sums, at, i) { sums[at] += cols.w[i]; },
                describe: function(p, sums, at) { p.w = sums[at]; }
            });
        }
        var heat = L.heatLayer([], {pane: "heat", radius: options.radius, blur: options.blur,
                                    minOpacity: options.minOpacity});
        function render() {
            if (!map.hasLayer(fg)) { return; }
            if (!index) { buildIndex(); }
            var b = map.getBounds().pad(0.3);
            var box = [Math.max(b.getWest(), -180), Math.max(b.getSouth(), -85),
                       Math.min(b.getEast(), 180), Math.min(b.getNorth(), 85)];
            var points = index.getClusters(box, Math.round(map.getZoom())).map(function(f) {
                var p = f.properties, w = p.cluster ? p.w : cols.w[p.i];
                return [f.geometry.coordinates[1], f.geometry.coordinates[0], w];
            });
            heat.setLatLngs(points);
        }
        fg.addLayer(heat);
        function start() {
            // After the map is built: a heatmap that starts hidden is taken off straight away.
            setTimeout(function() {
                if (!map.hasLayer(fg)) { return; }
                map.off("moveend", render);
                map.on("moveend", render);
                render();
            }, 30);
        }
        fg.on("add", start);
        fg.on("remove", function() { map.off("moveend", render); });
        if (map.hasLayer(fg)) { start(); }
    }
})();
