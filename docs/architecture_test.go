// Package docs holds the project's own documents. Its test keeps docs/architecture.md true: the
// package table there is read and checked against what the code really imports, so the document
// cannot drift from the code without a red test.
package docs

import (
	"bufio"
	"bytes"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/fireline/fireline"

// row is one package of the architecture document's table.
type row struct {
	pkg string // module-relative: "" is the root package fireline
	// ours are the module packages it may import (module-relative), outside the module
	// prefixes of the other modules it may import; stdOnly means none outside the standard
	// library.
	ours, outside []string
	line          int
}

// readTable reads the rows of the package table: lines "| `pkg` | what | `ours`, ... | `outside`, ... |".
func readTable(t *testing.T) map[string]row {
	t.Helper()
	f, err := os.Open("architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows := map[string]row{}
	sc := bufio.NewScanner(f)
	inTable := false
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "<!-- package table") {
			inTable = true
			continue
		}
		if !inTable {
			continue
		}
		if !strings.HasPrefix(line, "|") {
			if len(rows) > 0 {
				break
			}
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) != 4 || !strings.HasPrefix(strings.TrimSpace(cells[0]), "`") {
			continue // the header and its rule
		}
		pkg := ticked(cells[0])
		if len(pkg) != 1 {
			t.Fatalf("architecture.md:%d: the first cell must name one package in backticks", n)
		}
		r := row{pkg: strings.TrimPrefix(strings.TrimSuffix(pkg[0], "/"), "fireline"), ours: ticked(cells[2]), outside: ticked(cells[3]), line: n}
		r.pkg = strings.TrimPrefix(r.pkg, "/")
		for i, o := range r.ours {
			if o == "fireline" {
				r.ours[i] = ""
			} else {
				r.ours[i] = strings.TrimSuffix(o, "/")
			}
		}
		if _, dup := rows[r.pkg]; dup {
			t.Fatalf("architecture.md:%d: package %q listed twice", n, pkg[0])
		}
		rows[r.pkg] = r
	}
	if len(rows) == 0 {
		t.Fatal("architecture.md has no package table (a line starting <!-- package table, then the table)")
	}
	return rows
}

// ticked returns the backticked words of a table cell.
func ticked(cell string) []string {
	var out []string
	parts := strings.Split(cell, "`")
	for i := 1; i < len(parts); i += 2 {
		out = append(out, strings.TrimSpace(parts[i]))
	}
	return out
}

// goList runs go list in the module root and returns its lines.
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list"}, args...)...)
	cmd.Dir = filepath.Join("..")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

func rel(path string) (string, bool) {
	if path == module {
		return "", true
	}
	r, ok := strings.CutPrefix(path, module+"/")
	return r, ok
}

func name(pkg string) string {
	if pkg == "" {
		return "fireline (root)"
	}
	return pkg
}

// TestArchitectureTableMatchesImports checks every package of the module against its row: it is
// listed, and it imports only the packages of ours and the outside modules the row names.
func TestArchitectureTableMatchesImports(t *testing.T) {
	rows := readTable(t)
	seen := map[string]bool{}
	for _, line := range goList(t, "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "./...") {
		fields := strings.Fields(line)
		pkg, _ := rel(fields[0])
		if pkg == "docs" {
			continue // this test
		}
		seen[pkg] = true
		r, ok := rows[pkg]
		if !ok {
			t.Errorf("package %s is not in architecture.md's package table", name(pkg))
			continue
		}
		for _, imp := range fields[1:] {
			if ours, ok := rel(imp); ok {
				if !slices.Contains(r.ours, ours) {
					t.Errorf("%s imports %s, which architecture.md:%d does not allow", name(pkg), name(ours), r.line)
				}
				continue
			}
			if !strings.Contains(strings.Split(imp, "/")[0], ".") {
				continue // the standard library
			}
			if !slices.ContainsFunc(r.outside, func(prefix string) bool { return imp == prefix || strings.HasPrefix(imp, prefix+"/") }) {
				t.Errorf("%s imports %s, which architecture.md:%d does not name", name(pkg), imp, r.line)
			}
		}
	}
	for pkg, r := range rows {
		if !seen[pkg] && pkg != "docs" {
			t.Errorf("architecture.md:%d names package %s, which does not exist", r.line, name(pkg))
		}
	}
}

// TestHTTPLayerReachesNoWorkflowEngine keeps the API free of Temporal: it reads the read model
// and sends orders through fireline.IncidentService, so it must not even link the SDK.
func TestHTTPLayerReachesNoWorkflowEngine(t *testing.T) {
	for _, dep := range goList(t, "-deps", "./api") {
		if strings.HasPrefix(dep, "go.temporal.io/") || dep == module+"/workflows" || dep == module+"/activities" {
			t.Errorf("api depends on %s", dep)
		}
	}
}

// TestOneImporterPerHeavyDependency checks the rule the table spells out row by row, from the
// other side: each heavy dependency has the one home STYLE.md gives it.
func TestOneImporterPerHeavyDependency(t *testing.T) {
	home := map[string][]string{
		"github.com/uber/h3-go/v4":        {"geo"},
		"github.com/jackc/pgx/v5":         {"postgres"},
		"github.com/go-chi/chi/v5":        {"api"},
		"go.temporal.io/server":           {"devstack"},
		"github.com/pion/webrtc/v3":       {"media", "media/loadgen", "media/whipclient"},
		"github.com/temporalio/ui-server": {"devstack"},
	}
	for _, line := range goList(t, "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "./...") {
		fields := strings.Fields(line)
		pkg, _ := rel(fields[0])
		for _, imp := range fields[1:] {
			for dep, homes := range home {
				if (imp == dep || strings.HasPrefix(imp, dep+"/")) && !slices.Contains(homes, pkg) {
					t.Errorf("%s imports %s; only %s may", name(pkg), imp, strings.Join(homes, ", "))
				}
			}
		}
	}
}

// TestNoShapeDeclaredTwice keeps the contracts in one place: a struct with the same fields (names
// and types) declared in two packages is a copy that one side will forget to change, the kind
// of adapter-to-adapter translation the root package's contracts replace. Tests may declare
// what they like.
func TestNoShapeDeclaredTwice(t *testing.T) {
	fset := token.NewFileSet()
	where := map[string][]string{} // field list → "package.Type" declaring it
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules", "testdata", "bin", ".fireline":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		pkg := strings.TrimPrefix(filepath.ToSlash(filepath.Dir(path)), "../")
		ast.Inspect(f, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok {
				return true
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok || st.Fields == nil || st.Fields.NumFields() < 2 {
				return true
			}
			var fields []string
			for _, fl := range st.Fields.List {
				var typ bytes.Buffer
				if err := printer.Fprint(&typ, fset, fl.Type); err != nil {
					t.Fatal(err)
				}
				if len(fl.Names) == 0 {
					fields = append(fields, "embedded "+typ.String())
				}
				for _, n := range fl.Names {
					fields = append(fields, n.Name+" "+typ.String())
				}
			}
			slices.Sort(fields)
			key := strings.Join(fields, "; ")
			where[key] = append(where[key], pkg+"."+ts.Name.Name)
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for fields, decls := range where {
		pkgs := map[string]bool{}
		for _, d := range decls {
			pkgs[d[:strings.LastIndex(d, ".")]] = true
		}
		if len(pkgs) > 1 {
			t.Errorf("%s declare the same fields (%s): declare the shape once, in the package that owns it", strings.Join(decls, " and "), fields)
		}
	}
}
