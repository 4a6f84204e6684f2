package samplecity

import "github.com/fireline/fireline"

// Premise kinds of the sample city.
const (
	kindHighRise  = "high_rise_residential"
	kindMall      = "shopping_mall"
	kindMarket    = "market"
	kindHospital  = "hospital"
	kindSchool    = "school"
	kindChemical  = "chemical_plant"
	kindFactory   = "factory"
	kindPetrol    = "petrol_station"
	kindWarehouse = "warehouse"
	kindHotel     = "hotel"
	kindAncient   = "ancient_building"
)

// premises are the key premises (重点单位). The landmarks are real and placed approximately;
// every other name is generic and invented, and no hazard or pre-plan is official.
func premises() []fireline.Premise {
	p := func(id, name, kind, address string, lat, lng float64, hazards []string, plan string) fireline.Premise {
		t, level := preAssessment(kind)
		return fireline.Premise{ID: id, Name: name, Kind: kind, Address: address,
			Point: fireline.Point{Lat: lat, Lng: lng}, Hazards: hazards, PrePlan: plan, PlanType: t, PlanLevel: level}
	}
	return []fireline.Premise{
		// Dongchangfu: the old city inside Dongchang Lake and the city around it.
		p("P-DCF-01", "Guangyue Tower (光岳楼)", kindAncient, "Old City centre, Dongchangfu", 36.4563, 115.9856,
			[]string{"Ming-dynasty timber structure (1374)", "no sprinklers", "narrow old-city lanes", "crowds of visitors"},
			"Enter the old city by the north and east causeways; lanes take one engine at a time. Draft from Dongchang Lake (W-DCL-1). Protect the timber hall with water curtains; call the cultural-relics officer before any forcible entry."),
		p("P-DCF-02", "Shanshan Guild Hall (山陕会馆)", kindAncient, "Shuangjie Street, east bank of Dongchang Lake", 36.4600, 116.0010,
			[]string{"Qing-dynasty timber structure", "carved woodwork and painted beams", "canal-side access only from the east"},
			"Stage on the road east of the hall; draft from the Grand Canal (W-GC-1). Defensive water curtains first; interior attack only on the officer's word. Salvage covers for the carvings."),
		p("P-DCF-03", "Haiyuan Pavilion Library (海源阁)", kindAncient, "Old City, Dongchangfu", 36.4548, 115.9872,
			[]string{"timber courtyard building", "rare books and manuscripts", "narrow lanes"},
			"Small lines only; water damage to the collection is a loss too. Use fog and salvage covers; keep one engine at the south causeway."),
		p("P-DCF-04", "Liaocheng People's Hospital (聊城市人民医院)", kindHospital, "Dongchang West Road, Dongchangfu", 36.4560, 115.9700,
			[]string{"bedridden and ICU patients", "piped oxygen", "high-rise inpatient block", "radiology sources"},
			"Meet the hospital's security lead at the main gate. Horizontal evacuation first; ladder to the inpatient block's west face. Shut oxygen zone valves on the fire floor only."),
		p("P-DCF-05", "Liaocheng University (聊城大学)", kindSchool, "Hunan Road, Dongchangfu", 36.4330, 115.9750,
			[]string{"dormitories of several thousand students", "chemistry laboratories", "large lecture halls"},
			"Dormitory fires: search rooms corridor by corridor, account for students with the dorm warden's roll. Laboratory fires: ask for the chemical inventory before entry."),
		p("P-DCF-06", "Liaocheng No. 1 Middle School (聊城一中)", kindSchool, "Dongchangfu, north of the old city", 36.4650, 115.9760,
			[]string{"boarding students", "assembly hall", "laboratories"},
			"Teachers lead evacuation to the sports ground; first engine confirms the headcount with the duty teacher."),
		p("P-DCF-07", "Dongchang Road Shopping Centre (东昌路购物中心)", kindMall, "Dongchang East Road, Dongchangfu", 36.4565, 116.0080,
			[]string{"large open floors", "underground car park", "crowds at weekends", "heavy fire load in stock rooms"},
			"Fire control room on the ground floor east; connect to the pumper connection on the north side. Smoke control on; evacuate by zone."),
		p("P-DCF-08", "Liuyuan Road Wholesale Market (柳园路批发市场)", kindMarket, "Liuyuan Road, Dongchangfu", 36.4720, 115.9900,
			[]string{"dense stalls", "blocked aisles", "illegal sleeping lofts", "LPG cylinders"},
			"Search the lofts above stalls: people sleep there. Expect LPG cylinders; cool them and remove when safe."),
		p("P-DCF-09", "Lakeside High-Rise Residences (湖滨高层住宅)", kindHighRise, "South shore of Dongchang Lake", 36.4405, 115.9900,
			[]string{"33-storey towers", "electric bicycles charging in corridors", "single stair per tower"},
			"Use the fire lift to two floors below the fire; attack from the stair. Ladder on the lake-side face is not possible: set up on the street side."),
		p("P-DCF-10", "Changrun Road High-Rise Estate (昌润路高层小区)", kindHighRise, "Changrun Road, Dongchangfu", 36.4690, 116.0200,
			[]string{"26-storey towers", "underground garage", "e-bike charging"},
			"Estate gate is narrow: ladder enters by the east gate. Dry riser inlets at the foot of each tower."),
		p("P-DCF-11", "Water City Hotel (水城宾馆)", kindHotel, "Dongchang West Road, Dongchangfu", 36.4590, 115.9690,
			[]string{"sleeping guests", "kitchens", "conference halls"},
			"Reception holds the guest list; search sleeping floors first. Kitchen fires: isolate gas at the meter room behind the building."),
		p("P-DCF-12", "West Ring Logistics Park (西环物流园)", kindWarehouse, "West Ring Road, Dongchangfu", 36.4500, 115.9400,
			[]string{"high-bay racking", "lithium batteries in parcels", "large undivided floors"},
			"Defensive first; do not enter high-bay racking fires. Tankers to the park gate; hydrants on the ring road are sparse."),
		p("P-DCF-13", "Huayuan Road Petrol Station (花园路加油站)", kindPetrol, "Huayuan North Road, Dongchangfu", 36.4760, 115.9800,
			[]string{"underground petrol and diesel tanks", "canopy", "busy junction"},
			"Emergency shut-off beside the shop door. Foam on the first engine; close the junction with the police."),
		p("P-DCF-14", "Maternal and Child Health Hospital (妇幼保健院)", kindHospital, "Dongchang East Road, Dongchangfu", 36.4490, 116.0100,
			[]string{"newborns in incubators", "piped oxygen", "operating theatres"},
			"Neonatal unit moves as a whole with staff; ask for ambulances early. Protect in place where the fire is contained."),
		p("P-DCF-15", "Old City Commercial Street (古城商业街)", kindMarket, "Old City, Dongchangfu", 36.4575, 115.9845,
			[]string{"timber shop-houses", "no vehicle access at night", "crowds on holidays"},
			"Portable pumps and hand lines from the lake; engines stay on the causeway."),
		// Development Zone and High-tech Zone.
		p("P-EDZ-01", "Development Zone Logistics Park (开发区物流园)", kindWarehouse, "Changjiang Road, Development Zone", 36.4200, 116.0620,
			[]string{"cold stores with ammonia refrigeration", "high-bay racking", "truck yard"},
			"Ammonia plant room at the north-east corner: hazmat unit checks before entry. Water from the Tuhai intake (W-TH-2)."),
		p("P-EDZ-02", "Development Zone Fuel and LPG Station (开发区加油加气站)", kindPetrol, "Huanghe Road, Development Zone", 36.4310, 116.0400,
			[]string{"LPG storage", "petrol and diesel tanks", "BLEVE risk"},
			"LPG involved: 300 m exclusion, unmanned monitors to cool the tank, do not extinguish a leaking gas fire until it can be shut off."),
		p("P-EDZ-03", "Development Zone Apartments (开发区高层公寓)", kindHighRise, "Development Zone", 36.4340, 116.0300,
			[]string{"30-storey towers", "rental flats with many occupants"},
			"Fire lift and dry risers; expect more occupants than flats."),
		p("P-EDZ-04", "Development Zone Vocational College (开发区职业学院)", kindSchool, "Development Zone", 36.4180, 116.0450,
			[]string{"dormitories", "welding workshops", "gas cylinders"},
			"Workshop fires: remove or cool acetylene cylinders; evacuate dormitories to the sports ground."),
		p("P-HTZ-01", "High-tech Zone Chemical Park (高新区化工园)", kindChemical, "Tianjin Road, High-tech Zone", 36.5000, 116.0600,
			[]string{"liquid ammonia", "chlorine", "methanol", "pressurised storage tanks", "toxic plume"},
			"Approach from upwind; the park's own brigade meets at the east gate with the hazard sheet. Evacuate 1 km downwind on ammonia or chlorine release. Cistern W-HTZ-C1 and the Tuhai intake (W-TH-1)."),
		p("P-HTZ-02", "High-tech Zone Fertiliser Works (高新区化肥厂)", kindChemical, "High-tech Zone", 36.4960, 116.0500,
			[]string{"ammonia synthesis", "urea dust", "ammonium nitrate storage"},
			"Ammonium nitrate: flood with water from a distance, never smother; evacuate 800 m. Hazmat unit leads."),
		p("P-HTZ-03", "Hazardous Goods Truck Park (危化品车辆停车场)", kindWarehouse, "High-tech Zone", 36.4880, 116.0350,
			[]string{"parked tankers of varied cargo", "flammable liquids", "corrosives"},
			"Read the placards and the park's log before committing; isolate the burning tanker and cool its neighbours."),
		// Chiping.
		p("P-CP-01", "Chiping Aluminium Industrial Park (茌平铝业园)", kindFactory, "Industrial park, Chiping", 36.6050, 116.2200,
			[]string{"molten aluminium (explodes with water)", "caustic soda", "power plant", "coal stores"},
			"No water on molten metal: dry sand and let it solidify. Park brigade guides to the seat of fire; cistern W-CP-C1."),
		p("P-CP-02", "Chiping People's Hospital (茌平区人民医院)", kindHospital, "Chiping", 36.5830, 116.2500,
			[]string{"bedridden patients", "piped oxygen"},
			"Horizontal evacuation first; ladder from CP-1 to the ward block."),
		p("P-CP-03", "Chiping Shopping Centre (茌平购物中心)", kindMall, "Chiping", 36.5790, 116.2610,
			[]string{"open floors", "underground car park"},
			"Fire control room by the south entrance; pumper connection on the west side."),
		// Linqing.
		p("P-LQ-01", "Linqing Shelizi Pagoda (临清舍利宝塔)", kindAncient, "Bank of the Wei Canal, Linqing", 36.8500, 115.6990,
			[]string{"Ming-dynasty brick and timber pagoda", "no water supply on site", "river-bank access"},
			"Draft from the Wei Canal (W-LQ-1); wildland-style attack on the grass around the pagoda."),
		p("P-LQ-02", "Linqing Grand Canal Customs House (临清运河钞关)", kindAncient, "Grand Canal, Linqing", 36.8420, 115.7070,
			[]string{"Ming-dynasty timber halls", "museum exhibits", "narrow lanes"},
			"Draft from the canal (W-LQ-2); interior attack only with the curator's plan of the halls."),
		p("P-LQ-03", "Liaocheng Second People's Hospital (聊城市第二人民医院)", kindHospital, "Linqing", 36.8440, 115.7150,
			[]string{"bedridden patients", "piped oxygen", "high-rise ward block"},
			"Ladder from LQ-1 to the ward block; evacuate horizontally first."),
		p("P-LQ-04", "Linqing Bearing Industrial Park Warehouse (临清轴承产业园仓库)", kindWarehouse, "Linqing east", 36.8610, 115.7420,
			[]string{"oil and grease stores", "heat-treatment furnaces", "stacked packaging"},
			"Foam for oil stores; tanker from LQ-2 first in."),
		p("P-LQ-05", "Linqing Cotton Textile Mill (临清棉纺厂)", kindFactory, "Linqing", 36.8300, 115.7200,
			[]string{"cotton bales (deep-seated fire)", "cotton dust explosion", "large sheds"},
			"Bale fires burn deep: pull bales apart with the loader and soak them. Stop machinery to keep dust down."),
		// Guanxian, Shenxian, Yanggu.
		p("P-GX-01", "Guanxian No. 1 Middle School (冠县一中)", kindSchool, "Guanxian", 36.4860, 115.4450,
			[]string{"boarding students", "dormitories"},
			"Evacuate dormitories to the sports ground; roll call with the duty teacher."),
		p("P-GX-02", "Guanxian Petrol Station (冠县加油站)", kindPetrol, "Guanxian", 36.4800, 115.4300,
			[]string{"underground fuel tanks", "highway traffic"},
			"Shut-off by the shop door; foam on the first engine."),
		p("P-SX-01", "Shenxian Vegetable Logistics Centre (莘县蔬菜物流园)", kindWarehouse, "Shenxian", 36.2400, 115.6800,
			[]string{"cold stores with ammonia refrigeration", "insulated sandwich panels", "truck yard"},
			"Sandwich-panel cold stores collapse early: defensive attack. Hazmat unit from the city for any ammonia leak."),
		p("P-SX-02", "Shenxian People's Hospital (莘县人民医院)", kindHospital, "Shenxian", 36.2320, 115.6650,
			[]string{"bedridden patients", "piped oxygen"},
			"Horizontal evacuation first."),
		p("P-YG-01", "Yanggu Lion Tower (阳谷狮子楼)", kindAncient, "Yanggu county seat", 36.1150, 115.7880,
			[]string{"timber tower", "restaurant kitchen", "tourists"},
			"Kitchen gas shut-off at the rear; protect the timber upper floors with a water curtain."),
		p("P-YG-02", "Yanggu Cable Works (阳谷电缆厂)", kindFactory, "Yanggu", 36.1000, 115.8100,
			[]string{"PVC insulation (toxic smoke, HCl)", "copper drums", "large sheds"},
			"Breathing apparatus for everyone near the smoke; warn residents downwind to close windows."),
		p("P-YG-03", "Yanggu Hotel (阳谷宾馆)", kindHotel, "Yanggu", 36.1160, 115.7940,
			[]string{"sleeping guests", "kitchens"},
			"Search sleeping floors first with the reception's room list."),
		// Dong'e and Gaotang.
		p("P-DE-01", "Dong'e Gelatin Works (东阿阿胶厂)", kindFactory, "Dong'e", 36.3400, 116.2550,
			[]string{"gas-fired boilers", "large finished-goods warehouse", "visitor tours"},
			"Visitors first: the tour guide holds the group list. Boiler-house gas shut-off outside the north wall; cistern W-DE-C1."),
		p("P-DE-02", "Dong'e Hotel (东阿宾馆)", kindHotel, "Dong'e", 36.3330, 116.2460,
			[]string{"sleeping guests", "banquet hall"},
			"Search sleeping floors first."),
		p("P-GT-01", "Gaotang Paper Mill (高唐纸业)", kindFactory, "Gaotang", 36.8800, 116.2500,
			[]string{"paper and straw bale yards", "chlorine dioxide bleaching", "boiler house"},
			"Bale-yard fires spread with the wind: tankers and a water curtain on the downwind side. Bleach plant: hazmat unit before entry."),
		p("P-GT-02", "Gaotang People's Hospital (高唐县人民医院)", kindHospital, "Gaotang", 36.8640, 116.2250,
			[]string{"bedridden patients", "piped oxygen"},
			"Horizontal evacuation first; ladder from GT-1."),
		p("P-GT-03", "Yuqiu Lake High-Rise Residences (鱼丘湖高层住宅)", kindHighRise, "Gaotang", 36.8680, 116.2350,
			[]string{"28-storey towers", "e-bike charging"},
			"Fire lift and dry risers; ladder on the street side."),
	}
}

// preAssessment is the pre-plan's assessment of a fire alarm from a premises' own panel, by
// kind: the type and alarm level the command centre sends for at once, before anyone calls.
func preAssessment(kind string) (fireline.IncidentType, int) {
	switch kind {
	case kindHighRise, kindHotel:
		return fireline.TypeHighRiseFire, 2
	case kindChemical:
		return fireline.TypeIndustrialFire, 3
	case kindFactory, kindWarehouse:
		return fireline.TypeIndustrialFire, 2
	case kindPetrol:
		return fireline.TypeHazmat, 2
	case kindMall, kindMarket, kindHospital, kindAncient:
		return fireline.TypeStructureFire, 2
	case kindSchool:
		return fireline.TypeStructureFire, 1
	}
	return "", 0
}
