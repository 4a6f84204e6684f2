// Points as the API writes them ({lat, lng}) and as the map contract takes them ({lat, lon}),
// and the great-circle distance the page shows beside the straight route line.

/** mapPoint gives a point both spellings of longitude, so the API and the map read it alike. */
export function mapPoint(p) {
  if (!p) return null;
  const lon = p.lng ?? p.lon;
  return { lat: p.lat, lon, lng: lon };
}

/** hasPoint reports whether p is a real position (the API never sends 0,0 for one). */
export function hasPoint(p) {
  return Boolean(p) && Number.isFinite(p.lat) && Number.isFinite(p.lng ?? p.lon) && !(p.lat === 0 && (p.lng ?? p.lon) === 0);
}

const EARTH_RADIUS_M = 6_371_008.8;
const rad = (deg) => (deg * Math.PI) / 180;

/** metresBetween is the great-circle (haversine) distance between a and b in metres. */
export function metresBetween(a, b) {
  const dLat = rad(b.lat - a.lat);
  const dLon = rad((b.lng ?? b.lon) - (a.lng ?? a.lon));
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}
