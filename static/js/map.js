/* The map of the establishments: progressive enhancement of `<div data-map …>`
 * (templates/includes/_map.html), drawn with the vendored Leaflet (static/vendor/leaflet).
 *
 * Without JavaScript the block stays hidden (css/map.css) and the list is the page. With
 * it, the map shows what `data-map-geojson` (the list's filters) answers for the visible
 * zone, asked again after every move (`bbox=west,south,east,north&zoom=z`, the zone
 * widened to whole tiles so that nearby views share one cached answer):
 * establishments one by one, or the server's grid clusters when there are many. The first
 * view is the zone in `data-map-bbox` (a list narrowed by a cluster); else, for a filtered
 * list, the extent of what matches (the collection's `bbox`); else France.
 *
 * Keyboard and screen readers: every marker and cluster is a real link (Tab reaches it,
 * Enter follows it), named by its structure or by its count. A structure's marker opens
 * its page; a cluster opens the list narrowed to the zone of its establishments, whose map
 * then shows that zone. The list under the map is the text alternative.
 *
 * Strict CSP friendly: no eval, no inline handlers or styles (Leaflet sizes its elements
 * through the CSSOM, which the CSP allows); the look comes from css/map.css.
 */
(function () {
  "use strict";

  const FRANCE = [[41.3, -5.2], [51.1, 9.6]];
  const MAX_FIT_ZOOM = 15;
  const POINT_SIZE = 18;

  // The zone asked for: the view widened to whole tile widths, so that small moves ask
  // the same URL again (answered by the browser's or the server's cache).
  function zoneParam(bounds, zoom) {
    const step = 360 / 2 ** zoom;
    const down = (value) => Math.floor(value / step) * step;
    const up = (value) => Math.ceil(value / step) * step;
    const west = Math.max(-180, down(bounds.getWest()));
    const south = Math.max(-90, down(bounds.getSouth()));
    const east = Math.min(180, up(bounds.getEast()));
    const north = Math.min(90, up(bounds.getNorth()));
    return [west, south, east, north].map((value) => value.toFixed(5)).join(",");
  }

  function zoneBounds(text) {
    const [west, south, east, north] = text.split(",").map(Number);
    return L.latLngBounds([south, west], [north, east]);
  }

  function collectionBounds(collection) {
    if (!collection.bbox) return null;
    const [west, south, east, north] = collection.bbox;
    return L.latLngBounds([south, west], [north, east]);
  }

  function link(url, className, text, hiddenText) {
    const anchor = document.createElement("a");
    anchor.href = url;
    anchor.className = className;
    if (text) {
      const shown = document.createElement("span");
      shown.setAttribute("aria-hidden", "true");
      shown.textContent = text;
      anchor.append(shown);
    }
    const name = document.createElement("span");
    name.className = "visually-hidden";
    name.textContent = hiddenText;
    anchor.append(name);
    return anchor;
  }

  function pointMarker(feature) {
    const props = feature.properties;
    const anchor = link(props.url, "map-point", "", props.name);
    anchor.title = props.name;
    return anchor;
  }

  function clusterMarker(feature, label, format) {
    const count = feature.properties.count;
    const text = label.replace("{count}", format.format(count));
    const anchor = link(feature.properties.url, "map-cluster", format.format(count), text);
    anchor.title = text;
    return anchor;
  }

  function clusterSize(count) {
    if (count < 10) return 32;
    if (count < 100) return 40;
    if (count < 1000) return 48;
    return 56;
  }

  function enhance(element) {
    const block = element.closest("[data-map-block]") || element;
    block.classList.add("map-enabled");
    const data = element.dataset;
    const endpoint = new URL(data.mapGeojson, document.baseURI);
    endpoint.searchParams.delete("bbox");
    endpoint.searchParams.delete("zoom");
    const format = new Intl.NumberFormat(document.documentElement.lang || undefined);

    const map = L.map(element, { zoomControl: false });
    L.control
      .zoom({ zoomInTitle: data.mapZoomIn, zoomOutTitle: data.mapZoomOut })
      .addTo(map);
    L.tileLayer(data.mapTiles, { attribution: data.mapAttribution, maxZoom: 19 }).addTo(map);
    const markers = L.layerGroup().addTo(map);
    let pending = null;

    function draw(collection) {
      markers.clearLayers();
      for (const feature of collection.features) {
        const [longitude, latitude] = feature.geometry.coordinates;
        let html;
        let size;
        if (feature.properties.kind === "cluster") {
          size = clusterSize(feature.properties.count);
          html = clusterMarker(feature, data.mapClusterLabel, format);
        } else {
          size = POINT_SIZE;
          html = pointMarker(feature);
        }
        const icon = L.divIcon({ html, className: "map-marker", iconSize: [size, size] });
        // Not Leaflet-interactive: the link inside is what the mouse and keyboard use.
        L.marker([latitude, longitude], { icon, keyboard: false, interactive: false }).addTo(
          markers,
        );
      }
      element.dataset.mapState = "ready";
    }

    function fetchCollection(params) {
      if (pending) pending.abort();
      pending = new AbortController();
      const url = new URL(endpoint);
      for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
      element.dataset.mapState = "loading";
      return fetch(url, {
        headers: { Accept: "application/geo+json" },
        signal: pending.signal,
      }).then((response) => {
        if (!response.ok) throw new Error(`${url.pathname}: HTTP ${response.status}`);
        return response.json();
      });
    }

    function load() {
      const zoom = map.getZoom();
      fetchCollection({ bbox: zoneParam(map.getBounds(), zoom), zoom })
        .then(draw)
        .catch((error) => {
          if (error.name !== "AbortError") element.dataset.mapState = "error";
        });
    }

    function start(bounds) {
      map.fitBounds(bounds || FRANCE, { maxZoom: MAX_FIT_ZOOM });
      map.on("moveend", load);
      load();
    }

    // Unfiltered, the whole directory: France at once, without asking for its extent
    // (which would group every establishment once more).
    const filtered = [...endpoint.searchParams].some(([key, value]) => key !== "tri" && value);
    if (data.mapBbox) {
      start(zoneBounds(data.mapBbox));
    } else if (!filtered) {
      start(null);
    } else {
      // First the extent of everything that matches, then the clusters of that view.
      fetchCollection({})
        .then((collection) => start(collectionBounds(collection)))
        .catch((error) => {
          if (error.name !== "AbortError") start(null);
        });
    }
  }

  function init() {
    if (typeof L === "undefined") return;
    document.querySelectorAll("[data-map]").forEach(enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
