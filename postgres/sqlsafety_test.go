package postgres_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// SQL reaches PostgreSQL only as compile-time constant text, with every value a $n parameter:
// the SQL argument of each Query, QueryRow and Exec, each queued batch statement, and CopyFrom's
// table and columns, anywhere in the repository's non-test code, is a string literal, a
// constant or a concatenation of them. fmt.Sprintf, + with a variable, strings.Builder or
// a string variable are findings, whatever they hold today.
//
// A helper that takes its statement, or a fragment of it, as a parameter passes when every
// call of it in the package passes constant text. The check reads syntax, not types: a call
// is taken for a database call by its method name and arity, so a false finding on another
// type's Exec is possible and is fixed by a constant or a rename. The one exception is the
// embedded migrations (embeddedSQL).
func TestSQLIsConstant(t *testing.T) {
	var findings []string
	root := filepath.Join("..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "node_modules", "testdata", "vendor", ".git", ".fireline", "dist":
				return filepath.SkipDir
			}
			if path != root && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			f, err := checkSQLPackage(path)
			findings = append(findings, f...)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range findings {
		t.Error(f)
	}
}

// The checker finds each string-built statement of a file made to hold them, and none of the
// constant ones beside them.
func TestSQLCheckerFindsBuiltSQL(t *testing.T) {
	findings, err := checkSQLPackage(filepath.Join("testdata", "sqlsafety"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"fmt.Sprintf", "q+name", "q", "b.String()", "where", "pgx.Identifier{table}", "\"SELECT id FROM units \"+suffix"}
	var got []string
	for _, f := range findings {
		_, expr, _ := strings.Cut(f, ": SQL built at run time: ")
		got = append(got, expr)
	}
	if len(got) != len(want) {
		t.Fatalf("findings:\n%s\nwant one for each of %q", strings.Join(findings, "\n"), want)
	}
	for i, w := range want {
		if !strings.HasPrefix(got[i], w) {
			t.Errorf("finding %d: %q, want %q", i, findings[i], w)
		}
	}
	for _, f := range findings {
		if strings.Contains(f, "good") {
			t.Errorf("a constant statement found: %s", f)
		}
	}
}

// embeddedSQL are the statements run from files compiled into the binary, not from Go
// source: the embedded migrations (migrations.All), which a reviewer reads as SQL files.
var embeddedSQL = map[string]bool{"m.SQL": true}

// sqlChecker checks one package's files.
type sqlChecker struct {
	fset   *token.FileSet
	files  []*ast.File
	consts map[string]bool
	// funcs are the package's functions and methods by name, to follow a parameter that
	// carries SQL to every call that passes it.
	funcs map[string][]*ast.FuncDecl
	// params memoises whether every call passes a constant for a function's parameter; a
	// parameter being checked counts as constant, which ends recursion.
	params map[paramKey]bool
}

type paramKey struct {
	fn    string
	index int
}

// checkSQLPackage checks the non-test Go files of one directory.
func checkSQLPackage(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	c := &sqlChecker{fset: token.NewFileSet(), consts: map[string]bool{}, funcs: map[string][]*ast.FuncDecl{}, params: map[paramKey]bool{}}
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(c.fset, filepath.Join(dir, n), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		c.files = append(c.files, f)
	}
	// The package's constants, wherever declared, and its functions.
	for _, f := range c.files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.GenDecl:
				if n.Tok == token.CONST {
					for _, s := range n.Specs {
						for _, name := range s.(*ast.ValueSpec).Names {
							c.consts[name.Name] = true
						}
					}
				}
			case *ast.FuncDecl:
				c.funcs[n.Name.Name] = append(c.funcs[n.Name.Name], n)
			}
			return true
		})
	}
	var findings []string
	c.eachCall(func(fn *ast.FuncDecl, call *ast.CallExpr) {
		for _, a := range sqlArgs(call) {
			if !c.constant(a, fn) && !embeddedSQL[render(c.fset, a)] {
				findings = append(findings, fmt.Sprintf("%s: SQL built at run time: %s", c.fset.Position(a.Pos()), render(c.fset, a)))
			}
		}
	})
	return findings, nil
}

// eachCall calls f with every call expression of the package and the function it is in.
func (c *sqlChecker) eachCall(f func(*ast.FuncDecl, *ast.CallExpr)) {
	for _, file := range c.files {
		for _, d := range file.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if call, ok := n.(*ast.CallExpr); ok {
					f(fn, call)
				}
				return true
			})
		}
	}
}

// sqlArgs are the arguments of call that are SQL text, if it is a database call: the
// statement of Query, QueryRow and Exec (after the context), of Batch.Queue, and the table
// and columns of CopyFrom.
func sqlArgs(call *ast.CallExpr) []ast.Expr {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return nil
	}
	switch name := sel.Sel.Name; {
	case (name == "Query" || name == "QueryRow" || name == "Exec") && len(call.Args) >= 2:
		return call.Args[1:2]
	case name == "Queue" && len(call.Args) >= 1:
		return call.Args[:1]
	case name == "CopyFrom" && len(call.Args) == 4:
		return call.Args[1:3]
	}
	return nil
}

// constant reports whether e, inside fn, is compile-time constant text: a string literal, a
// constant, a + of constants, a composite literal of them (CopyFrom's table and columns), or
// a parameter of fn never assigned in it for which every call in the package passes one.
func (c *sqlChecker) constant(e ast.Expr, fn *ast.FuncDecl) bool {
	switch e := e.(type) {
	case *ast.BasicLit:
		return e.Kind == token.STRING
	case *ast.Ident:
		if c.consts[e.Name] {
			return true
		}
		if i := paramIndex(fn, e.Name); i >= 0 && !assigned(fn, e.Name) {
			return c.callersPassConstant(fn.Name.Name, i)
		}
		return false
	case *ast.ParenExpr:
		return c.constant(e.X, fn)
	case *ast.BinaryExpr:
		return e.Op == token.ADD && c.constant(e.X, fn) && c.constant(e.Y, fn)
	case *ast.CompositeLit:
		return !slices.ContainsFunc(e.Elts, func(x ast.Expr) bool { return !c.constant(x, fn) })
	}
	return false
}

// callersPassConstant reports whether every call of the unexported function named name passes
// constant text as its index-th argument; an exported one's callers are elsewhere. A function passed around as a value is not followed: its
// parameter is then unchecked, which a finding elsewhere would have to show.
func (c *sqlChecker) callersPassConstant(name string, index int) bool {
	k := paramKey{name, index}
	if ok, seen := c.params[k]; seen {
		return ok
	}
	if ast.IsExported(name) {
		return false // called from other packages, with anything
	}
	c.params[k] = true
	ok := true
	c.eachCall(func(fn *ast.FuncDecl, call *ast.CallExpr) {
		var callee string
		switch f := call.Fun.(type) {
		case *ast.Ident:
			callee = f.Name
		case *ast.SelectorExpr:
			callee = f.Sel.Name
		}
		if callee == name && index < len(call.Args) && !c.constant(call.Args[index], fn) {
			ok = false
		}
	})
	c.params[k] = ok
	return ok
}

// paramIndex is the position of fn's parameter name, -1 when it has none of that name.
func paramIndex(fn *ast.FuncDecl, name string) int {
	i := 0
	for _, field := range fn.Type.Params.List {
		if _, variadic := field.Type.(*ast.Ellipsis); variadic {
			return -1
		}
		for _, n := range field.Names {
			if n.Name == name {
				return i
			}
			i++
		}
		if len(field.Names) == 0 {
			i++
		}
	}
	return -1
}

// assigned reports whether fn's body assigns to name.
func assigned(fn *ast.FuncDecl, name string) bool {
	found := false
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		if as, ok := n.(*ast.AssignStmt); ok {
			for _, l := range as.Lhs {
				if id, ok := l.(*ast.Ident); ok && id.Name == name {
					found = true
				}
			}
		}
		return !found
	})
	return found
}

func render(fset *token.FileSet, e ast.Expr) string {
	var b strings.Builder
	p := fset.Position(e.Pos())
	end := fset.Position(e.End())
	src, err := os.ReadFile(p.Filename)
	if err != nil || end.Offset > len(src) {
		return "?"
	}
	b.Write(src[p.Offset:end.Offset])
	return b.String()
}
