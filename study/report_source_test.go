package study

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rakam-ml/rakam/scratch"
)

// studyNames returns every row and ensemble name the study gives the
// report: the zoo's entries, the rows of Compare's plan, study 1, the
// search winner, the ensembles, and the names of Roles.
func studyNames(t *testing.T) []string {
	t.Helper()
	seen := map[string]bool{}
	var names []string
	add := func(n string) {
		if n != "" && !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	for _, e := range Zoo() {
		add(e.Name)
	}
	for _, quick := range []bool{false, true} {
		plan, err := CompareConfig{Quick: quick, Seed: 1}.plan()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range plan {
			add(r.Name)
		}
	}
	sr, err := scratchRecipe(scratch.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	add(sr.Name)
	add(rowSearchWinner)
	for _, g := range ensembleGroups {
		for _, m := range []string{Hard, Soft} {
			add(g.name + "-" + m)
		}
	}
	r := Roles()
	for _, n := range []string{r.Scratch, r.BaselineAdam, r.BaselineSGD, r.Dropout, r.BatchNorm, r.Advanced, r.CNN, r.CNNAugmented} {
		add(n)
	}
	return names
}

// TestReportNamesNoStudyRow reads the report package's source (not its
// tests) and requires that it names none of the study's rows and none of
// the seed's figures: the study says which row plays which part (Roles)
// and what the seed reported (SeedFigures), and the report renders what
// it is given. A string literal may not be a row name, nor contain a
// hyphenated one ("cnn-augment") or a seed figure; comments may not
// either. Exempt are struct tags (the JSON keys of results.json) and the
// finding topics (report.Topic*), which name parts of the comparison, one
// of them the CNN.
func TestReportNamesNoStudyRow(t *testing.T) {
	names := studyNames(t)
	if len(names) < 15 {
		t.Fatalf("found %d study names (%v); want the whole table", len(names), names)
	}
	var figures []string
	for _, f := range SeedFigures() {
		figures = append(figures, f)
	}
	if len(figures) < 6 {
		t.Fatalf("SeedFigures has %d figures; want the seed's six rows", len(figures))
	}
	// A hyphenated name is distinctive; a plain one ("dropout", "advanced")
	// is also an ordinary word, so only an exact literal counts.
	bounded := func(name string) *regexp.Regexp {
		return regexp.MustCompile(`(^|[^a-z0-9-])` + regexp.QuoteMeta(name) + `($|[^a-z0-9-])`)
	}
	var hyphenated []*regexp.Regexp
	for _, n := range names {
		if strings.Contains(n, "-") {
			hyphenated = append(hyphenated, bounded(n))
		}
	}
	banned := func(s string) string {
		for _, n := range names {
			if s == n {
				return n
			}
		}
		for _, re := range hyphenated {
			if re.MatchString(s) {
				return re.String()
			}
		}
		for _, f := range figures {
			if strings.Contains(s, f) {
				return f
			}
		}
		return ""
	}

	files, err := filepath.Glob(filepath.Join("..", "report", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		exempt := map[*ast.BasicLit]bool{}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.Field:
				if n.Tag != nil {
					exempt[n.Tag] = true
				}
			case *ast.ValueSpec:
				for i, id := range n.Names {
					if strings.HasPrefix(id.Name, "Topic") && i < len(n.Values) {
						if lit, ok := n.Values[i].(*ast.BasicLit); ok {
							exempt[lit] = true
						}
					}
				}
			}
			return true
		})
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING || exempt[lit] {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Fatalf("%s: %v", fset.Position(lit.Pos()), err)
			}
			if b := banned(s); b != "" {
				t.Errorf("%s: the literal %s names the study's %q; the study passes it in the Input", fset.Position(lit.Pos()), lit.Value, b)
			}
			return true
		})
		for _, cg := range f.Comments {
			for _, c := range cg.List {
				for _, re := range hyphenated {
					if re.MatchString(c.Text) {
						t.Errorf("%s: a comment names the study's row %s", fset.Position(c.Pos()), re)
					}
				}
				for _, fig := range figures {
					if strings.Contains(c.Text, fig) {
						t.Errorf("%s: a comment quotes the seed's figure %q", fset.Position(c.Pos()), fig)
					}
				}
			}
		}
	}
	if checked < 10 {
		t.Fatalf("checked %d files of ../report; want the whole package", checked)
	}
}

// TestRolesAreRows checks that every role and seed figure names a row of
// Compare's table (or study 1), so the report's comparisons all run.
func TestRolesAreRows(t *testing.T) {
	plan, err := CompareConfig{Seed: 1}.plan()
	if err != nil {
		t.Fatal(err)
	}
	sr, err := scratchRecipe(scratch.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]bool{sr.Name: true, rowSearchWinner: true}
	for _, r := range plan {
		rows[r.Name] = true
	}
	r := Roles()
	for role, n := range map[string]string{"Scratch": r.Scratch, "BaselineAdam": r.BaselineAdam, "BaselineSGD": r.BaselineSGD,
		"Dropout": r.Dropout, "BatchNorm": r.BatchNorm, "Advanced": r.Advanced, "CNN": r.CNN, "CNNAugmented": r.CNNAugmented} {
		if !rows[n] {
			t.Errorf("Roles().%s = %q, which is not a row of Compare's table", role, n)
		}
	}
	for n := range SeedFigures() {
		if !rows[n] {
			t.Errorf("SeedFigures() has %q, which is not a row of Compare's table", n)
		}
	}
	for _, g := range ensembleGroups {
		for _, m := range g.members {
			if !rows[m] {
				t.Errorf("ensemble %s has member %q, which is not a row", g.name, m)
			}
		}
	}
}
