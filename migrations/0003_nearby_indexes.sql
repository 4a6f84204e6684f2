-- Nearby searches (water sources and key premises around an incident) filter on a latitude and
-- longitude box before computing distances; these indexes keep that box cheap for a city with
-- tens of thousands of hydrants.
CREATE INDEX water_sources_lat_lng ON water_sources (lat, lng);
CREATE INDEX premises_lat_lng ON premises (lat, lng);
