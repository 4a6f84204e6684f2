package samplecity_test

import (
	"testing"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/samplecity"
)

// TestDeviceAddresses: every sample device is a transmission device with its own address, the
// n-th device's as DeviceAddress says, and the hospital's first device names the places of its
// fire-alarm system and of one detector.
func TestDeviceAddresses(t *testing.T) {
	c := samplecity.Liaocheng()
	seen := map[string]string{}
	withPlaces := 0
	for i, d := range c.Devices {
		if err := fireline.ValidateDeviceAddress("address", d.Address); err != nil {
			t.Errorf("device %s: %v", d.ID, err)
		}
		if want := samplecity.DeviceAddress(i + 1); d.Address != want {
			t.Errorf("device %s: address %s, want %s", d.ID, d.Address, want)
		}
		if other, ok := seen[d.Address]; ok {
			t.Errorf("devices %s and %s share address %s", other, d.ID, d.Address)
		}
		seen[d.Address] = d.ID
		if len(d.Places) > 0 {
			withPlaces++
			if d.ID != "FAP-DCF-04-1" {
				t.Errorf("device %s has places; only the hospital's first device should", d.ID)
			}
		}
	}
	if samplecity.DeviceAddress(1) != "063500000001" {
		t.Errorf("DeviceAddress(1) = %s", samplecity.DeviceAddress(1))
	}
	if withPlaces != 1 {
		t.Fatalf("%d devices with places, want 1", withPlaces)
	}
	var places []fireline.DevicePlace
	for _, d := range c.Devices {
		if d.ID == "FAP-DCF-04-1" {
			places = d.Places
		}
	}
	detector, ok := fireline.MatchPlace(places, 1, 1, 0x00010203)
	if !ok || detector.Floor != "5F" || detector.ComponentAddress == nil {
		t.Errorf("detector's place %+v %v, want its own on 5F", detector, ok)
	}
	other, ok := fireline.MatchPlace(places, 1, 1, 0x00010204)
	if !ok || other.ComponentAddress != nil || other.Building == "" {
		t.Errorf("another component's place %+v %v, want the system's", other, ok)
	}
}
