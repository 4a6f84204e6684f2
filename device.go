package fireline

import "time"

// Device is a building fire-alarm panel (or a detector loop of one) registered with the command
// centre: its events arrive by the panel network's gateway and name only the device, so the
// registry says where it is and which key premises it protects.
type Device struct {
	ID string `json:"id"`
	// PremiseID is the key premises the panel protects; empty for a building that is not one.
	PremiseID string `json:"premise_id,omitempty"`
	// Building, Floor and Zone name where the panel is; Floor and Zone may be empty when each
	// event says them.
	Building string `json:"building"`
	Floor    string `json:"floor,omitempty"`
	Zone     string `json:"zone,omitempty"`
	// Point is the building's entrance, where crews go (WGS-84).
	Point Point `json:"location"`
	// Address is, for a user information transmission device speaking GB/T 26875.3, its
	// six-byte address as twelve lowercase hex digits (the frames' source); empty for a panel
	// whose gateway posts JSON. No two devices in service share one.
	Address string `json:"address,omitempty"`
	// Places map the facility systems and components behind a transmission device to places in
	// the building; an alarm from a component without one names the component's description.
	Places []DevicePlace `json:"places,omitempty"`
	// RetiredAt is when an administrator retired the device, nil while it is in service.
	RetiredAt *time.Time `json:"retired_at,omitempty"`
}

// Validate checks a device record, naming the first bad field.
func (d Device) Validate() error {
	err := firstError(
		ValidateID("id", d.ID),
		validateText("building", d.Building, MaxNameLen, true),
		validateText("floor", d.Floor, MaxDetailLen, false),
		validateText("zone", d.Zone, MaxDetailLen, false),
	)
	if err != nil {
		return err
	}
	if d.PremiseID != "" {
		if err := ValidateID("premise_id", d.PremiseID); err != nil {
			return err
		}
	}
	if d.Address != "" {
		if err := ValidateDeviceAddress("address", d.Address); err != nil {
			return err
		}
	} else if len(d.Places) > 0 {
		return Errorf(EINVALID, "places: only a transmission device (with an address) has places")
	}
	if err := validatePlaces(d.Places); err != nil {
		return err
	}
	return validateLocation(d.Point)
}

// Pole is a smart lamp post with an emergency button. A press names only the pole.
type Pole struct {
	ID string `json:"id"`
	// Point is the pole's position (WGS-84).
	Point Point `json:"location"`
	// Address is the street and nearest number, as the pole registry has it.
	Address string `json:"address"`
}

// Validate checks a pole record, naming the first bad field.
func (p Pole) Validate() error {
	return firstError(ValidateID("id", p.ID), validateText("address", p.Address, MaxAddressLen, false), validateLocation(p.Point))
}
