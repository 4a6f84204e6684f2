package freeport

import (
	"net"
	"strconv"
	"testing"
)

func TestPickDistinctBindableOutsideEphemeral(t *testing.T) {
	eph := ephemeralRange()
	room := len(outside(eph)) > 0
	ports, err := Pick(20)
	if err != nil {
		t.Fatal(err)
	}
	if len(ports) != 20 {
		t.Fatalf("got %d ports, want 20", len(ports))
	}
	seen := map[int]bool{}
	for _, p := range ports {
		if seen[p] {
			t.Errorf("port %d handed out twice", p)
		}
		seen[p] = true
		if room && p >= eph.lo && p <= eph.hi {
			t.Errorf("port %d lies in the ephemeral range %d-%d", p, eph.lo, eph.hi)
		}
		l, err := net.Listen("tcp", net.JoinHostPort(loopback, strconv.Itoa(p)))
		if err != nil {
			t.Errorf("port %d not bindable after Pick: %v", p, err)
			continue
		}
		l.Close()
	}
}

func TestPickSkipsBoundPort(t *testing.T) {
	// Hold many ports; none of them may come back.
	held := map[int]bool{}
	for range 50 {
		p, err := One()
		if err != nil {
			t.Fatal(err)
		}
		l, err := net.Listen("tcp", net.JoinHostPort(loopback, strconv.Itoa(p)))
		if err != nil {
			t.Fatalf("bind %d: %v", p, err)
		}
		defer l.Close()
		held[p] = true
	}
	ports, err := Pick(50)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ports {
		if held[p] {
			t.Errorf("port %d is bound yet was picked", p)
		}
	}
}

func TestParseRange(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    span
		wantErr bool
	}{
		{in: "32768\t60999\n", want: span{32768, 60999}},
		{in: "1024 65000", want: span{1024, 65000}},
		{in: "", wantErr: true},
		{in: "32768", wantErr: true},
		{in: "a b", wantErr: true},
		{in: "60999 32768", wantErr: true},
		{in: "0 70000", wantErr: true},
	} {
		got, err := parseRange(tc.in)
		if (err != nil) != tc.wantErr || (!tc.wantErr && got != tc.want) {
			t.Errorf("parseRange(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestOutside(t *testing.T) {
	for _, tc := range []struct {
		eph  span
		want []span
	}{
		{eph: span{32768, 60999}, want: []span{{floor, 32767}, {61000, 65535}}},
		{eph: span{1024, 65000}, want: nil}, // no room: the kernel chooses
		{eph: span{20000, 65535}, want: []span{{floor, 19999}}},
		{eph: span{1024, 40000}, want: []span{{40001, 65535}}},
	} {
		got := outside(tc.eph)
		if len(got) != len(tc.want) {
			t.Errorf("outside(%v) = %v, want %v", tc.eph, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("outside(%v) = %v, want %v", tc.eph, got, tc.want)
			}
		}
	}
}
