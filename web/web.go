// Package web holds the pages people use: the dispatch console (index.html), the field crew
// page (field.html) and the review workspace (review.html). Their modules live in src/ and are
// bundled by esbuild (`make web`, web/build.mjs) into static/dist/, which is embedded here with
// the HTML, CSS and icons; MapLibre GL JS comes from the npm registry at build time. Nothing is
// loaded from the internet at run time: a command centre keeps working when its uplink does not.
//
// Every visible string is in the message catalogues src/i18n/<locale>/*.json (zh-CN and en).
//
// One module is generated: src/lib/domain.js, the pages' copy of the role policy
// (fireline.Can) and of the domain's lists, written by ./gen from package fireline and
// committed, so the pages and the API cannot disagree about who may do what. A test in ./gen
// fails when it is stale.
package web

//go:generate go run ./gen -o src/lib/domain.js

import (
	"embed"
	"errors"
	"io/fs"
)

//go:embed static
var static embed.FS

// Built reports whether the pages' bundles are embedded: a binary built without `make web`
// serves pages whose scripts are missing, and says so at start instead of in the browser.
func Built() error {
	if _, err := fs.Stat(static, "static/dist/console.js"); err != nil {
		return errors.New("web: the pages' bundles are not embedded (static/dist is empty): build with `make build`, which runs `make web` first")
	}
	return nil
}

// Assets returns the pages' files with the pages at the root, for api to serve.
func Assets() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		// fs.Sub fails only on an invalid path name, and "static" is a constant valid one.
		panic("web: " + err.Error())
	}
	return sub
}
