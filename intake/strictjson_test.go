package intake_test

import (
	"strings"
	"testing"

	"github.com/fireline/fireline/intake"
)

func TestStrictJSON(t *testing.T) {
	for _, c := range []struct {
		name, body, want string
	}{
		{"plain", `{"a":1,"b":[1,2,{"a":2}],"c":{"a":3,"b":{"a":4}}}`, ""},
		{"the same key in sibling objects", `{"x":[{"id":1},{"id":2}]}`, ""},
		{"a key as a value", `{"a":"a","b":"a"}`, ""},
		{"duplicate at the top", `{"a":1,"a":2}`, `key "a" appears twice`},
		{"duplicate after a nested object", `{"a":{"b":1},"a":2}`, `key "a" appears twice`},
		{"duplicate inside an array's object", `{"x":[{"id":1,"id":2}]}`, `key "id" appears twice`},
		{"duplicate after an array", `{"a":[1,[2]],"b":1,"a":0}`, `key "a" appears twice`},
		{"invalid UTF-8", "{\"a\":\"\xff\"}", "not valid UTF-8"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := intake.StrictJSON([]byte(c.body))
			if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
				t.Fatalf("%v, want %q", err, c.want)
			}
		})
	}
}
