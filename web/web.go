// Package web holds the pages people use: the dispatch console (index.html), the field crew
// page (field.html) and the incident review (review.html). They are plain HTML, JavaScript modules and CSS with no build step, so what
// is in static/ is exactly what the browser runs, and they load nothing from the internet: a
// command centre keeps working when its uplink does not.
//
// One file there is generated: static/domain.js, the pages' copy of the role policy
// (fireline.Can) and of the domain's lists, written by ./gen from package fireline and
// committed, so the pages and the API cannot disagree about who may do what. A test in ./gen
// fails when it is stale.
package web

//go:generate go run ./gen -o static/domain.js

import (
	"embed"
	"io/fs"
)

//go:embed static
var static embed.FS

// Assets returns the pages' files with the pages at the root, for api to serve.
func Assets() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		// fs.Sub fails only on an invalid path name, and "static" is a constant valid one.
		panic("web: " + err.Error())
	}
	return sub
}
