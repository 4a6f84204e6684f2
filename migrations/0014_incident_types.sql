-- 0014: incident types are data. Administrators add, rename and retire them with their names
-- in both languages, a category that carries the code's rules (which alarms may be one
-- incident, the quick turnout of a rescue), timers of their own and the joint-agency tasks
-- their incidents ask for. The ten types that were a fixed list in code are seeded here with
-- the behaviour the code gave them.
--
-- Like other reference data a type is never deleted, only retired: incidents, alarms and run
-- cards of the past keep naming it.

CREATE TABLE incident_types (
    code         text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{0,39}$'),
    name_zh      text NOT NULL CHECK (btrim(name_zh) <> ''),
    name_en      text NOT NULL CHECK (btrim(name_en) <> ''),
    category     text NOT NULL CHECK (category IN ('fire', 'ems', 'rescue', 'hazmat', 'other')),
    -- Timer overrides in seconds, {"turnout_s": 60}; a timer not named keeps the default.
    timers       jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(timers) = 'object'),
    -- [{"min_level": 1, "agency": "police", "task": "…", "within_s": 600}], asked in this order.
    agency_tasks jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(agency_tasks) = 'array'),
    created_at   timestamptz NOT NULL DEFAULT now(),
    retired_at   timestamptz
);

INSERT INTO incident_types (code, name_zh, name_en, category, agency_tasks) VALUES
    ('structure_fire', '建筑火灾', 'Structure fire', 'fire', '[{"min_level":1,"agency":"police","task":"traffic control and cordon at the scene","within_s":600},{"min_level":2,"agency":"ems","task":"ambulance standing by at the scene","within_s":600},{"min_level":2,"agency":"power","task":"isolate the electricity supply to the building","within_s":1200},{"min_level":2,"agency":"gas","task":"isolate the gas supply to the building","within_s":1200},{"min_level":3,"agency":"water","task":"raise water-main pressure in the area","within_s":1800},{"min_level":3,"agency":"emergency_management","task":"activate the emergency management duty officer","within_s":900}]'),
    ('high_rise_fire', '高层建筑火灾', 'High-rise fire', 'fire', '[{"min_level":1,"agency":"police","task":"traffic control and cordon at the scene","within_s":600},{"min_level":2,"agency":"ems","task":"ambulance standing by at the scene","within_s":600},{"min_level":2,"agency":"power","task":"isolate the electricity supply to the building","within_s":1200},{"min_level":2,"agency":"gas","task":"isolate the gas supply to the building","within_s":1200},{"min_level":3,"agency":"water","task":"raise water-main pressure in the area","within_s":1800},{"min_level":3,"agency":"emergency_management","task":"activate the emergency management duty officer","within_s":900}]'),
    ('industrial_fire', '工业火灾', 'Industrial fire', 'fire', '[{"min_level":1,"agency":"police","task":"traffic control and cordon at the scene","within_s":600},{"min_level":2,"agency":"ems","task":"ambulance standing by at the scene","within_s":600},{"min_level":2,"agency":"power","task":"isolate the electricity supply to the building","within_s":1200},{"min_level":2,"agency":"gas","task":"isolate the gas supply to the building","within_s":1200},{"min_level":3,"agency":"water","task":"raise water-main pressure in the area","within_s":1800},{"min_level":3,"agency":"emergency_management","task":"activate the emergency management duty officer","within_s":900},{"min_level":1,"agency":"environment","task":"monitor air and run-off near the site","within_s":1800}]'),
    ('vehicle_fire', '车辆火灾', 'Vehicle fire', 'fire', '[{"min_level":1,"agency":"police","task":"traffic control and cordon at the scene","within_s":600},{"min_level":2,"agency":"ems","task":"ambulance standing by at the scene","within_s":600},{"min_level":2,"agency":"power","task":"isolate the electricity supply to the building","within_s":1200},{"min_level":2,"agency":"gas","task":"isolate the gas supply to the building","within_s":1200},{"min_level":3,"agency":"water","task":"raise water-main pressure in the area","within_s":1800},{"min_level":3,"agency":"emergency_management","task":"activate the emergency management duty officer","within_s":900}]'),
    ('wildland_fire', '森林草原火灾', 'Wildland fire', 'fire', '[{"min_level":1,"agency":"police","task":"traffic control and cordon at the scene","within_s":600},{"min_level":2,"agency":"ems","task":"ambulance standing by at the scene","within_s":600},{"min_level":2,"agency":"power","task":"isolate the electricity supply to the building","within_s":1200},{"min_level":2,"agency":"gas","task":"isolate the gas supply to the building","within_s":1200},{"min_level":3,"agency":"water","task":"raise water-main pressure in the area","within_s":1800},{"min_level":3,"agency":"emergency_management","task":"activate the emergency management duty officer","within_s":900},{"min_level":2,"agency":"emergency_management","task":"alert the forestry and emergency management bureau","within_s":900}]'),
    ('hazmat', '危险化学品', 'Hazardous materials', 'hazmat', '[{"min_level":1,"agency":"police","task":"cordon and evacuation of the hazard zone","within_s":600},{"min_level":1,"agency":"ems","task":"ambulance standing by upwind of the scene","within_s":600},{"min_level":1,"agency":"environment","task":"monitor air, soil and water","within_s":1800},{"min_level":2,"agency":"emergency_management","task":"activate the emergency management duty officer","within_s":900}]'),
    ('traffic_accident', '交通事故', 'Traffic accident', 'rescue', '[{"min_level":1,"agency":"police","task":"traffic control and accident scene","within_s":600},{"min_level":1,"agency":"ems","task":"ambulance to the scene","within_s":480}]'),
    ('water_rescue', '水域救援', 'Water rescue', 'rescue', '[{"min_level":1,"agency":"ems","task":"ambulance to the bank","within_s":600},{"min_level":2,"agency":"police","task":"keep onlookers back along the bank","within_s":900}]'),
    ('building_collapse', '建筑倒塌', 'Building collapse', 'rescue', '[{"min_level":1,"agency":"ems","task":"ambulances to the scene","within_s":480},{"min_level":1,"agency":"police","task":"cordon and traffic control","within_s":600},{"min_level":1,"agency":"gas","task":"isolate gas in the block","within_s":1200},{"min_level":1,"agency":"power","task":"isolate electricity in the block","within_s":1200},{"min_level":2,"agency":"emergency_management","task":"activate the emergency management duty officer","within_s":900}]'),
    ('help_requested', '社会救助', 'Help requested', 'other', '[{"min_level":1,"agency":"police","task":"patrol to the caller''s position","within_s":600}]');

-- A run card is for a type that exists; every card so far names one of the ten.
ALTER TABLE response_plans
    ADD CONSTRAINT response_plans_incident_type_fkey FOREIGN KEY (incident_type) REFERENCES incident_types (code);

-- Types are audited like the rest of the reference data.
ALTER TABLE admin_audit DROP CONSTRAINT admin_audit_entity_check;
ALTER TABLE admin_audit ADD CONSTRAINT admin_audit_entity_check
    CHECK (entity IN ('station', 'unit', 'water_source', 'premise', 'response_plan', 'incident_type'));
