package postgres

import "testing"

func TestPoolConfigMaxConns(t *testing.T) {
	for _, c := range []struct {
		url  string
		want int32
	}{
		{"postgres://fireline_app@127.0.0.1:5432/fireline", DefaultMaxConns},
		{"postgres://fireline_app@127.0.0.1:5432/fireline?pool_max_conns=3", 3},
		{"host=127.0.0.1 dbname=fireline pool_max_conns=40", 40},
	} {
		cfg, err := poolConfig(c.url)
		if err != nil {
			t.Fatalf("%s: %v", c.url, err)
		}
		if cfg.MaxConns != c.want {
			t.Errorf("%s: MaxConns %d, want %d", c.url, cfg.MaxConns, c.want)
		}
		if cfg.ConnConfig.RuntimeParams["application_name"] != "fireline" {
			t.Errorf("%s: application_name %q", c.url, cfg.ConnConfig.RuntimeParams["application_name"])
		}
	}
}
