package migrations_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/fireline/fireline/migrations"
)

func TestAll(t *testing.T) {
	all, err := migrations.All()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 || all[0].Name != "0001_init.sql" {
		t.Fatalf("first migration = %+v, want 0001_init.sql", all)
	}
	for _, m := range all {
		if strings.TrimSpace(m.SQL) == "" {
			t.Errorf("%s is empty", m.Name)
		}
		if _, ok := migrations.Reserved()[m.Version]; ok {
			t.Errorf("%s: version %d is reserved", m.Name, m.Version)
		}
	}
	if last := all[len(all)-1]; last.Name != "0024_first_recommendation.sql" {
		t.Errorf("last migration %s, want 0024_first_recommendation.sql", last.Name)
	}
}

func TestLoad(t *testing.T) {
	file := func(sql string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(sql)} }
	tests := []struct {
		name    string
		fsys    fstest.MapFS
		want    []string // names in order; nil when an error is expected
		wantErr string
	}{
		{"numeric gap", fstest.MapFS{"0002_b.sql": file("b"), "0001_a.sql": file("a"), "0010_j.sql": file("j")}, nil, "expected version 3"},
		{"in order", fstest.MapFS{"0002_b.sql": file("b"), "0001_a.sql": file("a")}, []string{"0001_a.sql", "0002_b.sql"}, ""},
		{"repeat", fstest.MapFS{"0001_a.sql": file("a"), "0001_b.sql": file("b")}, nil, "expected version 2"},
		{"gap", fstest.MapFS{"0001_a.sql": file("a"), "0003_c.sql": file("c")}, nil, "expected version 2"},
		{"bad name", fstest.MapFS{"1_a.sql": file("a")}, nil, "name must look like"},
		{"empty", fstest.MapFS{}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := migrations.Load(tt.fsys)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Load: %v, want error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			var names []string
			for i, m := range got {
				names = append(names, m.Name)
				if m.Version != i+1 {
					t.Errorf("%s: version %d, want %d", m.Name, m.Version, i+1)
				}
			}
			if strings.Join(names, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("names %v, want %v", names, tt.want)
			}
		})
	}
}

// TestLoadReserved: a reserved version's gap is allowed, its file while still reserved is not.
func TestLoadReserved(t *testing.T) {
	file := func(sql string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(sql)} }
	reserved := map[int]string{2: "branch b"}
	tests := []struct {
		name    string
		fsys    fstest.MapFS
		want    int // migrations loaded; 0 when an error is expected
		wantErr string
	}{
		{"gap of the reservation", fstest.MapFS{"0001_a.sql": file("a"), "0003_c.sql": file("c")}, 2, ""},
		{"before the reservation", fstest.MapFS{"0001_a.sql": file("a")}, 1, ""},
		{"another gap", fstest.MapFS{"0001_a.sql": file("a"), "0004_d.sql": file("d")}, 0, "expected version 3"},
		{"file arrived", fstest.MapFS{"0001_a.sql": file("a"), "0002_b.sql": file("b"), "0003_c.sql": file("c")}, 0, "delete the reservation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := migrations.LoadReserved(tt.fsys, reserved)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("LoadReserved: %v, want error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || len(got) != tt.want {
				t.Fatalf("LoadReserved: %d migrations, %v; want %d", len(got), err, tt.want)
			}
		})
	}
}
