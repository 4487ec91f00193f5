/* Place labels and the tile-basemap status of layers/labels.py and layers/basemap.py.
   Labels are text nodes (never HTML from data), in a pane below the incident markers that takes
   no pointer events, so they never hide a marker or take its click. */
(function() {
    var LABEL_PANE = "placeLabels";

    function ensurePane(map, name, zIndex) {
        var pane = map.getPane(name) || map.createPane(name);
        pane.style.zIndex = String(zIndex);
        pane.style.pointerEvents = "none";
        return pane;
    }

    // Rough width of a label in pixels, for collision tests (no layout needed).
    var CHAR_PX = {country: 8.2, province: 7.4, city: 6.9, town: 6.3, station: 6.0};

    function labelIcon(label) {
        var box = document.createElement("div");
        var text = document.createElement("span");
        text.className = "place-label-text";
        text.textContent = label.name;
        box.appendChild(text);
        return L.divIcon({
            className: "place-label place-label--" + label.kind.replace(/[^a-z]/g, ""),
            html: box,
            iconSize: [0, 0],
            iconAnchor: [0, 0]
        });
    }

    // A layer that writes the labels for the current zoom, the most important first, skipping any
    // that would overlap one already written.
    window.placeLabels = function(data, options) {
        var group = L.layerGroup([], {attribution: options.attribution});
        var labels = data.name.map(function(name, i) {
            return {
                name: name, kind: data.kind[i], lat: data.lat[i], lon: data.lon[i],
                minZoom: data.min_zoom[i], maxZoom: data.max_zoom[i], marker: null
            };
        });
        function box(label, point) {
            var width = label.name.length * (CHAR_PX[label.kind] || 6.5);
            var centred = label.kind === "country" || label.kind === "province";
            var left = centred ? point.x - width / 2 : point.x - 3;
            var top = centred ? point.y - 8 : point.y - 8;
            return {left: left - 2, right: left + width + (centred ? 2 : 10), top: top, bottom: top + 16};
        }
        function overlaps(a, b) {
            return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
        }
        function redraw() {
            var map = group._map;
            if (!map) { return; }
            var zoom = map.getZoom(), size = map.getSize(), placed = [];
            labels.forEach(function(label) {
                var show = zoom >= label.minZoom && zoom <= label.maxZoom;
                var point = null;
                if (show) {
                    point = map.latLngToContainerPoint([label.lat, label.lon]);
                    show = point.x > -200 && point.y > -50 && point.x < size.x + 200 &&
                        point.y < size.y + 50;
                }
                if (show) {
                    var b = box(label, point);
                    show = !placed.some(function(other) { return overlaps(b, other); });
                    if (show) { placed.push(b); }
                }
                if (show && !label.marker) {
                    label.marker = L.marker([label.lat, label.lon], {
                        icon: labelIcon(label), pane: LABEL_PANE, interactive: false,
                        keyboard: false
                    });
                    group.addLayer(label.marker);
                } else if (!show && label.marker) {
                    group.removeLayer(label.marker);
                    label.marker = null;
                }
            });
        }
        group.on("add", function() {
            ensurePane(group._map, LABEL_PANE, options.zIndex);
            group._map.on("zoomend moveend resize", redraw);
            redraw();
        });
        group.on("remove", function(event) {
            event.target._map && event.target._map.off("zoomend moveend resize", redraw);
            labels.forEach(function(label) { label.marker = null; });
            group.clearLayers();
        });
        group.visibleLabels = function() {
            return labels.filter(function(l) { return l.marker; }).map(function(l) { return l.name; });
        };
        return group;
    };

    // When a tile basemap is on the map and its tiles do not load, say so on the map and offer
    // the offline basemap.
    window.basemapStatus = function(map, tiles, offline, options) {
        var notice = L.control({position: "bottomleft"});
        var current = null;
        notice.onAdd = function() {
            var div = L.DomUtil.create("div", "basemap-status");
            L.DomEvent.disableClickPropagation(div);
            var text = document.createElement("span");
            text.className = "basemap-status-text";
            var button = document.createElement("button");
            button.type = "button";
            button.textContent = "Use the offline basemap";
            button.addEventListener("click", function() {
                if (current) { map.removeLayer(current.layer); }
                map.addLayer(offline);
            });
            div.appendChild(text);
            div.appendChild(button);
            return div;
        };
        // Attribution only for what is drawn: a tile layer that draws nothing credits no one.
        function credit(entry, on) {
            var text = entry.layer.getAttribution && entry.layer.getAttribution();
            if (!text || !map.attributionControl || entry.credited === on) { return; }
            entry.credited = on;
            if (on) { map.attributionControl.addAttribution(text); }
            else { map.attributionControl.removeAttribution(text); }
        }
        function show(entry) {
            current = entry;
            credit(entry, false);
            if (!notice._map) { notice.addTo(map); }
            notice.getContainer().querySelector(".basemap-status-text").textContent =
                entry.name + " cannot load (no connection to the tile server). ";
        }
        function hide() {
            current = null;
            if (notice._map) { notice.remove(); }
        }
        tiles.forEach(function(entry) {
            entry.failed = 0;
            entry.loaded = 0;
            entry.layer.on("tileerror", function() {
                entry.failed += 1;
                if (map.hasLayer(entry.layer) && entry.loaded === 0 &&
                        entry.failed >= options.failuresBeforeNotice) {
                    show(entry);
                }
            });
            entry.credited = true;  // Leaflet credits a layer when it is added
            entry.layer.on("add", function() { entry.credited = true; });
            entry.layer.on("tileload", function() {
                entry.loaded += 1;
                credit(entry, true);
                if (current === entry) { hide(); }
            });
            entry.layer.on("remove", function() {
                // Leaflet removes the credit itself; do not remove it twice.
                entry.credited = false;
                if (current === entry) { hide(); }
            });
        });
        offline.on("add", hide);
    };
})();
